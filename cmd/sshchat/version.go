package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time where the VCS is not available to the Go tool (the
// Docker build context has no .git):
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=..."
//
// Left empty, they come from the build info Go stamps into the binary
// (the module version with `go install`, the git revision and commit time
// when built in a checkout).
var version, commit, date string

// buildInfo says what this binary is.
type buildInfo struct {
	Version, Commit, Date string
	// DateIs says what Date is: "built" (stamped at build time) or
	// "committed" (the commit's time, from the VCS).
	DateIs string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, DateIs: "built"}
	var revision, vcsTime string
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if b.Commit == "" && revision != "" {
		b.Commit = revision
		if modified {
			b.Commit += "-dirty"
		}
	}
	if b.Date == "" && vcsTime != "" {
		b.Date, b.DateIs = vcsTime, "committed"
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func (b buildInfo) String() string {
	return fmt.Sprintf("sshchat %s (commit %s, %s %s, %s %s/%s)",
		b.Version, b.Commit, b.DateIs, b.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
