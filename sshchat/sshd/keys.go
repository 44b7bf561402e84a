package sshd

import (
	"crypto/rsa"
	"fmt"

	gossh "golang.org/x/crypto/ssh"
)

// RSA keys outside these sizes are refused: smaller ones are weak, larger
// ones only cost the server CPU to verify.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// checkKeyType accepts the key types OpenSSH uses today: ed25519, ECDSA on
// the NIST curves, their FIDO (sk-) variants, and RSA of a sane size. DSA
// (removed from OpenSSH) and certificates are refused.
func checkKeyType(key gossh.PublicKey) error {
	switch key.Type() {
	case gossh.KeyAlgoED25519, gossh.KeyAlgoSKED25519,
		gossh.KeyAlgoECDSA256, gossh.KeyAlgoECDSA384, gossh.KeyAlgoECDSA521, gossh.KeyAlgoSKECDSA256:
		return nil
	case gossh.KeyAlgoRSA:
		crypto, ok := key.(gossh.CryptoPublicKey)
		if !ok {
			return fmt.Errorf("unreadable RSA key")
		}
		rsaKey, ok := crypto.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("unreadable RSA key")
		}
		if bits := rsaKey.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("RSA key of %d bits (want %d to %d)", bits, minRSABits, maxRSABits)
		}
		return nil
	}
	return fmt.Errorf("key type %s not accepted", key.Type())
}
