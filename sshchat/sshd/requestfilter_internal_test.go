package sshd

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func envPayload(k, v string) []byte { return gossh.Marshal(struct{ Key, Value string }{k, v}) }
func strPayload(s string) []byte    { return gossh.Marshal(struct{ Value string }{s}) }

func TestRequestFilterBoundsTheEnvironment(t *testing.T) {
	var f requestFilter
	if v := f.decide("env", envPayload("BIG", strings.Repeat("x", 200<<10))); v != refuseReq {
		t.Fatalf("a 200 KB env value: %v", v)
	}
	kept := 0
	for i := range 1000 {
		v := f.decide("env", envPayload("V"+strings.Repeat("x", i%50), strings.Repeat("y", 900)))
		if v == forward {
			kept++
		}
		if v == closeConn {
			break
		}
	}
	if f.envBytes > maxEnvBytes || f.envCount > maxEnvRequests || kept != f.envCount {
		t.Fatalf("kept %d variables, %d bytes", f.envCount, f.envBytes)
	}
	if f.refused <= maxRefusedReqs {
		t.Fatalf("a flood of env requests was never cut off (%d refused)", f.refused)
	}
}

func TestRequestFilterRefusesWhatSSHChatDoesNotUse(t *testing.T) {
	for _, typ := range []string{"auth-agent-req@openssh.com", "x11-req", "subsystem", "signal", "break", "eow@openssh.com", "xyz"} {
		var f requestFilter
		if v := f.decide(typ, nil); v != refuseReq {
			t.Errorf("%s: %v, want refused", typ, v)
		}
	}
	var f requestFilter
	for _, r := range []struct {
		typ     string
		payload []byte
		want    verdict
	}{
		{"window-change", make([]byte, 16), refuseReq}, // no pty yet
		{"pty-req", make([]byte, 40), forward},
		{"pty-req", make([]byte, 40), refuseReq},
		{"window-change", make([]byte, 16), forward},
		{"exec", strPayload("who"), forward},
		{"shell", nil, refuseReq},
		{"exec", strPayload("who"), refuseReq},
		{"env", envPayload("A", "b"), refuseReq},
		{"window-change", make([]byte, 16), forward},
	} {
		if v := f.decide(r.typ, r.payload); v != r.want {
			t.Fatalf("%s: %v, want %v", r.typ, v, r.want)
		}
	}
	f.ended = true
	if v := f.decide("window-change", make([]byte, 16)); v != refuseReq {
		t.Fatalf("a request after the session ended: %v", v)
	}
}

func TestRequestFilterCapsTheCommandBeforeSplitting(t *testing.T) {
	var f requestFilter
	if v := f.decide("exec", strPayload(strings.Repeat("a", maxCommand))); v != forward {
		t.Fatalf("a command of %d bytes: %v", maxCommand, v)
	}
	f = requestFilter{}
	if v := f.decide("exec", strPayload(strings.Repeat("a", 250<<10))); v != commandTooLong {
		t.Fatalf("a 250 KB command: %v", v)
	}
	f = requestFilter{}
	if v := f.decide("exec", []byte{0, 0, 0, 9, 'a'}); v != refuseReq {
		t.Fatalf("a malformed exec: %v", v)
	}
}

// FuzzRequestFilter feeds arbitrary request sequences to the filter and
// checks its invariants: the environment it lets through stays within its
// bounds, nothing is forwarded after the session ended or beyond the early
// request cap, at most one shell or command starts, no forwarded command
// is over maxCommand, and a client refused too often is cut off.
func FuzzRequestFilter(f *testing.F) {
	f.Add([]byte("\x00\x05LANG\x00en\x01\x28\x02\x03\x05"))
	f.Add([]byte("\x03\x10\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte{})
	types := []string{"env", "pty-req", "window-change", "shell", "exec", "subsystem", "auth-agent-req@openssh.com", "x11-req", "signal"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var flt requestFilter
		starts, closes := 0, 0
		for len(data) >= 2 {
			typ := types[int(data[0])%len(types)]
			n := int(data[1])
			data = data[2:]
			var payload []byte
			switch {
			case n == 255:
				payload = strPayload(strings.Repeat("w", 300<<10)) // a huge value
			case typ == "env" && n%2 == 0:
				payload = envPayload(strings.Repeat("K", n%80+1), strings.Repeat("v", n*8))
			case typ == "exec" && n%2 == 0:
				payload = strPayload(strings.Repeat("c", n*16))
			default:
				payload = data[:min(n, len(data))]
				data = data[len(payload):]
			}
			if len(data) > 0 && data[0] == 0xee {
				flt.ended = true
			}
			wasEnded, wasStarted, early := flt.ended, flt.started, flt.early
			v := flt.decide(typ, payload)
			if v == forward || v == commandTooLong {
				if wasEnded {
					t.Fatalf("%s forwarded after the session ended", typ)
				}
				if !wasStarted && early >= maxEarlyReqs {
					t.Fatalf("%s forwarded past the early cap", typ)
				}
				if typ == "shell" || typ == "exec" {
					starts++
				}
			}
			if v == forward && typ == "exec" && len(payload)-4 > maxCommand {
				t.Fatalf("a command of %d bytes forwarded", len(payload)-4)
			}
			if v == closeConn {
				closes++
			}
			if flt.envCount > maxEnvRequests || flt.envBytes > maxEnvBytes {
				t.Fatalf("environment grew to %d variables, %d bytes", flt.envCount, flt.envBytes)
			}
			if starts > 1 {
				t.Fatal("a second shell or command started")
			}
			if flt.refused > maxRefusedReqs && v != closeConn {
				t.Fatalf("%d refused requests and not cut off", flt.refused)
			}
		}
	})
}
