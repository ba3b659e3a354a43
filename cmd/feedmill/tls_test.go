package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// cert.pem and key.pem into dir, and returns the certificate.
func selfSigned(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "feedmill test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", "CERTIFICATE", der)
	write("key.pem", "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestServeTLS: with tls_cert and tls_key (relative to the config file)
// the daemon serves HTTPS, HTTP/2 included, and plain HTTP is refused.
func TestServeTLS(t *testing.T) {
	up := startUpstream(t)
	path := writeE2EConfig(t, up)
	cert := selfSigned(t, filepath.Dir(path))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append([]byte("tls_cert: cert.pem\ntls_key: key.pem\n"), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	d := launchDaemon(t, path)
	t.Cleanup(func() { d.stop() })

	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	base := "https://" + d.Addr.String()
	for _, p := range []string{"/healthz", "/channels/everything.json"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ProtoMajor != 2 || len(body) == 0 {
			t.Errorf("%s: %d over %s, %d bytes; want 200 over HTTP/2", p, resp.StatusCode, resp.Proto, len(body))
		}
	}
	resp, err := http.Get("http://" + d.Addr.String() + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the HTTPS port")
		}
	}
}

// TestTLSConfigErrors: tls_cert and tls_key come together, name files
// that exist and load as a pair; each mistake names its key.
func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	selfSigned(t, dir)
	other := t.TempDir()
	selfSigned(t, other)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"cert without key", "tls_cert: " + cert + "\n", "tls_cert (line 1): needs tls_key too"},
		{"key without cert", "tls_key: " + key + "\n", "tls_key (line 1): needs tls_cert too"},
		{"no such cert", "tls_cert: " + dir + "/nope.pem\ntls_key: " + key + "\n", "tls_cert (line 1): stat"},
		{"no such key", "tls_cert: " + cert + "\ntls_key: " + dir + "/nope.pem\n", "tls_key (line 2): stat"},
		{"key of another cert", "tls_cert: " + cert + "\ntls_key: " + filepath.Join(other, "key.pem") + "\n", "tls_cert (line 1): with tls_key"},
		{"not PEM", "tls_cert: " + writeConfig(t, "x") + "\ntls_key: " + key + "\n", "tls_cert (line 1): with tls_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	cfg, err := loadConfig(writeConfig(t, "listen: 127.0.0.1:8443\ntls_cert: "+cert+"\ntls_key: "+key+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://127.0.0.1:8443" {
		t.Errorf("base_url default with TLS: %q", cfg.BaseURL)
	}
}
