package kafka

import (
	"context"
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

	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// TestTLSAndSASL collects from a cluster that requires TLS and SASL, for
// every mechanism, with the password from a file and from the environment,
// and checks that a wrong password fails the round without revealing it.
func TestTLSAndSASL(t *testing.T) {
	serverTLS, caFile := selfSignedTLS(t)
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte("s3cret-file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIPEWATCH_TEST_SASL_PW", "s3cret-env-pw")
	tests := []struct {
		mechanism, serverPass string
		sasl                  SASLConfig
		wantErr               bool
	}{
		{SASLMechanismPlain, "s3cret-file-pw", SASLConfig{Mechanism: SASLMechanismPlain, Username: "mon", PasswordFile: pwFile}, false},
		{SASLMechanismScramSHA256, "s3cret-env-pw", SASLConfig{Mechanism: SASLMechanismScramSHA256, Username: "mon", PasswordEnv: "PIPEWATCH_TEST_SASL_PW"}, false},
		{SASLMechanismScramSHA512, "s3cret-inline-pw", SASLConfig{Mechanism: SASLMechanismScramSHA512, Username: "mon", Password: "s3cret-inline-pw"}, false},
		{SASLMechanismScramSHA512, "s3cret-right-pw", SASLConfig{Mechanism: SASLMechanismScramSHA512, Username: "mon", Password: "s3cret-wrong-pw"}, true},
	}
	for _, tt := range tests {
		name := tt.mechanism
		if tt.wantErr {
			name += " with a wrong password"
		}
		t.Run(name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(serverTLS), kfake.EnableSASL(),
				kfake.Superuser(tt.mechanism, "mon", tt.serverPass), kfake.SeedTopics(2, "secure"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			col, err := New(&Config{
				Name:            "secure",
				Brokers:         c.ListenAddrs(),
				CollectInterval: model.Duration(5 * time.Second),
				TLS:             TLSConfig{Enabled: true, TLSConfig: httpclient.TLSConfig{CAFile: caFile, ServerName: "kafka.test"}},
				SASL:            tt.sasl,
			}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer col.Close()
			b := collector.NewBatch()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = col.Collect(ctx, b)
			if tt.wantErr {
				if err == nil || collector.IsPartial(err) {
					t.Fatalf("err = %v, want a failed round", err)
				}
				t.Logf("error: %v", err)
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Len() == 0 {
				t.Error("no samples")
			}
		})
	}
}

// selfSignedTLS returns a server TLS config for kafka.test and 127.0.0.1
// and the path of a PEM file with its certificate, to trust as a CA.
func selfSignedTLS(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kafka.test"},
		DNSNames:              []string{"kafka.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, caFile
}
