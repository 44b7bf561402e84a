package natsjs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// checkUsable proves a connection works end to end: a stream and a publish.
func checkUsable(t *testing.T, c *natsjs.Conn) {
	t.Helper()
	ctx := testContext(t)
	s, err := c.EnsureStream(ctx, natsjs.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, s.Subjects().Event(), []byte("hi"), ""); err != nil {
		t.Fatal(err)
	}
}

func tryConnect(t *testing.T, o natsjs.Options, urls ...string) error {
	t.Helper()
	o.URLs, o.Logger, o.ConnectTimeout = urls, quietLogger, 5*time.Second
	c, err := natsjs.Connect(testContext(t), o)
	if err == nil {
		c.Close()
	}
	return err
}

func TestConnectWithUserAndPassword(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{Username: "sshchat", Password: "s3cret"})
	if err := tryConnect(t, natsjs.Options{User: "sshchat", Password: "wrong"}, srv.URL()); err == nil {
		t.Fatal("connected with a wrong password")
	}
	checkUsable(t, connect(t, natsjs.Options{User: "sshchat", Password: "s3cret"}, srv.URL()))
}

func TestConnectWithToken(t *testing.T) {
	srv := natsjstest.Run(t, natsjstest.Options{Token: "t0ken"})
	if err := tryConnect(t, natsjs.Options{}, srv.URL()); err == nil {
		t.Fatal("connected without the token")
	}
	checkUsable(t, connect(t, natsjs.Options{Token: "t0ken"}, srv.URL()))
}

// Mutual TLS with a private CA: the client verifies the server against the
// CA file and presents its own certificate.
func TestConnectWithMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := natsjstest.Run(t, natsjstest.Options{Configure: func(o *server.Options) {
		o.TLS, o.TLSVerify, o.TLSTimeout = true, true, 5
		o.TLSConfig = pki.serverTLS
	}})
	if err := tryConnect(t, natsjs.Options{CAFile: pki.caFile}, srv.URL()); err == nil {
		t.Fatal("connected without a client certificate")
	}
	if err := tryConnect(t, natsjs.Options{CertFile: pki.certFile, KeyFile: pki.keyFile}, srv.URL()); err == nil {
		t.Fatal("connected without trusting the server's CA")
	}
	checkUsable(t, connect(t, natsjs.Options{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile}, srv.URL()))
}

func TestConnectFailsFastWithoutServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + l.Addr().String()
	l.Close()
	if err := tryConnect(t, natsjs.Options{}, url); err == nil {
		t.Fatal("connected to nothing")
	}
	if err := tryConnect(t, natsjs.Options{}); err == nil {
		t.Fatal("connected without a URL")
	}
}

type testPKI struct {
	caFile, certFile, keyFile string
	serverTLS                 *tls.Config
}

// newTestPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all short-lived, in the test's folder.
func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sshchat test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "sshchat test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	serverDER, serverKey := leaf(2, x509.ExtKeyUsageServerAuth)
	clientDER, clientKey := leaf(3, x509.ExtKeyUsageClientAuth)

	pki := testPKI{
		caFile:   writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER),
		certFile: writePEM(t, dir, "client.pem", "CERTIFICATE", clientDER),
		keyFile:  writePEM(t, dir, "client-key.pem", "PRIVATE KEY", marshalKey(t, clientKey)),
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	pki.serverTLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	return pki
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func marshalKey(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A password in a URL never reaches an error message (which is logged).
func TestConnectErrorHidesURLPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = tryConnect(t, natsjs.Options{}, "nats://sshchat:hunter2@"+addr)
	if err == nil {
		t.Fatal("connected to nothing")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows the password: %v", err)
	}
}
