package main

import (
	"regexp"
	"strings"
	"testing"
)

// composeServices splits the services section of a compose file into the
// text of each service, by name (a two-space indented key starts one).
func composeServices(t *testing.T, compose string) map[string]string {
	t.Helper()
	_, section, ok := strings.Cut(compose, "\nservices:\n")
	if !ok {
		t.Fatal("docker-compose.yml has no services section")
	}
	if end := regexp.MustCompile(`(?m)^\S`).FindStringIndex(section); end != nil {
		section = section[:end[0]]
	}
	services := map[string]string{}
	name := ""
	for _, line := range strings.Split(section, "\n") {
		if m := regexp.MustCompile(`^  ([\w-]+):\s*$`).FindStringSubmatch(line); m != nil {
			name = m[1]
			continue
		}
		if name != "" {
			services[name] += line + "\n"
		}
	}
	return services
}

// TestComposeClusterProfile: `docker compose --profile cluster up` brings
// three NATS servers with JetStream routed to each other and two sshchat
// nodes on them with three replicas, everything on volumes; the default
// `docker compose up` still starts only the single node, without NATS.
func TestComposeClusterProfile(t *testing.T) {
	compose := readRepoFile(t, "docker-compose.yml")
	services := composeServices(t, compose)

	// The anchors that cluster services merge carry the profile.
	profiled := map[string]bool{}
	for _, anchor := range []string{"nats", "sshchat-node"} {
		block, ok := strings.CutPrefix(compose[strings.Index(compose, "&"+anchor+"\n"):], "&"+anchor+"\n")
		if !ok || !strings.Contains(strings.SplitN(block, "\n\n", 2)[0], "profiles: [cluster]") {
			t.Errorf("the x- block &%s does not put its services in the cluster profile", anchor)
			continue
		}
		profiled["<<: *"+anchor] = true
	}
	inCluster := func(body string) bool {
		for merge := range profiled {
			if strings.Contains(body, merge) {
				return true
			}
		}
		return strings.Contains(body, "profiles: [cluster]")
	}
	for name, body := range services {
		if name == "sshchat" {
			if inCluster(body) || strings.Contains(body, "profiles") || strings.Contains(body, "NATS") {
				t.Errorf("the default service sshchat changed: it must start alone, without NATS:\n%s", body)
			}
			continue
		}
		if !inCluster(body) {
			t.Errorf("service %s is not in the cluster profile: plain `docker compose up` would start it", name)
		}
	}

	for _, n := range []string{"nats1", "nats2", "nats3"} {
		body, ok := services[n]
		if !ok {
			t.Errorf("no NATS server %s", n)
			continue
		}
		for _, want := range []string{"<<: *nats", `"-js"`, `"--store_dir", "/data"`, `"--cluster_name", "sshchat"`, `"--routes"`, n + ":/data"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", n, want)
			}
		}
		for _, other := range []string{"nats1", "nats2", "nats3"} {
			if other != n && !strings.Contains(body, "nats://"+other+":6222") {
				t.Errorf("%s has no route to %s", n, other)
			}
		}
	}
	image := regexp.MustCompile(`(?m)^(.*)\n\s*image: (nats:\S+)$`).FindStringSubmatch(compose)
	switch {
	case image == nil:
		t.Error("no official nats image")
	case strings.HasSuffix(image[2], ":latest") || !strings.Contains(image[2], ":"):
		t.Errorf("%s has no fixed tag", image[2])
	case !strings.Contains(image[2], "@sha256:") && !strings.Contains(compose, "TODO(pin): "+image[2]):
		t.Errorf("%s is not pinned by digest and no TODO(pin) names it", image[2])
	}

	nodes := 0
	for name, body := range services {
		if !strings.HasPrefix(name, "sshchat-") {
			continue
		}
		nodes++
		for _, want := range []string{"<<: *sshchat-node", "environment: *sshchat-node-env", "cluster-keys:/srv/sshchat/keys", ":/srv/sshchat/data", "condition: service_healthy"} {
			if !strings.Contains(body, want) {
				t.Errorf("node %s lacks %s", name, want)
			}
		}
	}
	if nodes < 2 {
		t.Errorf("%d sshchat nodes in the cluster profile, want at least 2", nodes)
	}
	for _, want := range []string{`SSHCHAT_NATS: nats://nats1:4222,nats://nats2:4222,nats://nats3:4222`, `SSHCHAT_NATS_REPLICAS: "3"`} {
		if !strings.Contains(compose, want) {
			t.Errorf("the cluster nodes' environment lacks %s", want)
		}
	}
	for _, v := range []string{"cluster-keys:", "nats1:", "nats2:", "nats3:"} {
		if !regexp.MustCompile(`(?m)^  ` + v + `$`).MatchString(compose[strings.LastIndex(compose, "\nvolumes:\n"):]) {
			t.Errorf("volume %s is not declared", strings.TrimSuffix(v, ":"))
		}
	}
}
