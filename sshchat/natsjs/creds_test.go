package natsjs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// A credentials file (user JWT + nkey seed) against a server in operator
// mode, as managed NATS deployments hand them out.
func TestConnectWithCredentialsFile(t *testing.T) {
	operator := newNKey(t, nkeys.CreateOperator)
	account := newNKey(t, nkeys.CreateAccount)
	user := newNKey(t, nkeys.CreateUser)

	accountClaims := jwt.NewAccountClaims(publicKey(t, account))
	accountClaims.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accountJWT, err := accountClaims.Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	userJWT, err := jwt.NewUserClaims(publicKey(t, user)).Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	credsFile := filepath.Join(t.TempDir(), "sshchat.creds")
	if err := os.WriteFile(credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}

	// JetStream in operator mode needs a system account.
	system := newNKey(t, nkeys.CreateAccount)
	systemJWT, err := jwt.NewAccountClaims(publicKey(t, system)).Encode(operator)
	if err != nil {
		t.Fatal(err)
	}

	resolver := &server.MemAccResolver{}
	for pub, claims := range map[string]string{publicKey(t, account): accountJWT, publicKey(t, system): systemJWT} {
		if err := resolver.Store(pub, claims); err != nil {
			t.Fatal(err)
		}
	}
	srv := natsjstest.Run(t, natsjstest.Options{Configure: func(o *server.Options) {
		o.TrustedKeys = []string{publicKey(t, operator)}
		o.AccountResolver = resolver
		o.SystemAccount = publicKey(t, system)
	}})

	if err := tryConnect(t, natsjs.Options{}, srv.URL()); err == nil {
		t.Fatal("connected to an operator-mode server without credentials")
	}
	checkUsable(t, connect(t, natsjs.Options{CredsFile: credsFile}, srv.URL()))
}

func newNKey(t *testing.T, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func publicKey(t *testing.T, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
