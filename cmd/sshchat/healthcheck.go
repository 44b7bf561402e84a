package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds the whole probe; /readyz itself gives up on
// the store after 5 s.
const healthcheckTimeout = 8 * time.Second

// healthcheck is `sshchat healthcheck`: it asks a running server's /readyz
// and exits 0 when it answers 200, 1 otherwise (2 for a bad command line).
// A distroless container has no curl; its HEALTHCHECK runs this.
func healthcheck(args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sshchat healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr, _ := getenv("SSHCHAT_METRICS")
	fs.StringVar(&addr, "metrics", addr, "the server's --metrics `ADDRESS` (default $SSHCHAT_METRICS)")
	url := fs.String("url", "", "probe this `URL` instead")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: sshchat healthcheck [--metrics ADDRESS | --url URL]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, flagError(err))
		return 2
	}
	target := *url
	if target == "" {
		if addr == "" {
			fmt.Fprintln(stderr, "sshchat healthcheck: no --metrics address (set SSHCHAT_METRICS or --metrics on the server and here)")
			return 2
		}
		var err error
		if target, err = readyURL(addr); err != nil {
			fmt.Fprintf(stderr, "sshchat healthcheck: %v\n", err)
			return 2
		}
	}
	client := &http.Client{Timeout: healthcheckTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(target)
	if err != nil {
		fmt.Fprintf(stderr, "sshchat healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sshchat healthcheck: %s: %s: %s\n", target, resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s", target, body)
	return 0
}

// readyURL is the /readyz URL of a server listening on addr; a listener on
// every interface is reached on loopback.
func readyURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--metrics %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
