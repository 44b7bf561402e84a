package natsjs_test

import (
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// The durability trade-off is a server setting: by default JetStream
// fsyncs every 2 minutes (an acknowledged line survives a server process
// crash, not an OS crash unless replicated); sync_interval: always fsyncs
// before every acknowledgement. The test servers pass it through.
func TestSyncSettingReachesServer(t *testing.T) {
	def := natsjstest.Run(t, natsjstest.Options{})
	if cfg := def.NATS().JetStreamConfig(); cfg.SyncAlways || cfg.SyncInterval != 2*time.Minute {
		t.Fatalf("default server: sync always %v, interval %v; want false, 2m", cfg.SyncAlways, cfg.SyncInterval)
	}
	always := natsjstest.Run(t, natsjstest.Options{SyncAlways: true})
	if cfg := always.NATS().JetStreamConfig(); !cfg.SyncAlways {
		t.Fatal("SyncAlways did not reach the server")
	}
	short := natsjstest.Run(t, natsjstest.Options{SyncInterval: 10 * time.Second})
	if cfg := short.NATS().JetStreamConfig(); cfg.SyncInterval != 10*time.Second {
		t.Fatalf("sync interval %v, want 10s", cfg.SyncInterval)
	}
}
