package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// TLSConfig configures the TLS side of a client connection: which
// certificate authorities to trust, an optional client certificate for
// mutual TLS, and the server name to verify. It is shared by the HTTP
// clients built by New and by the Kafka client, which wraps it with an
// enabled flag because Kafka, unlike a URL, has no scheme that says whether
// to use TLS.
//
// The zero value verifies servers against the system's roots. Referenced
// files are read by Build, not checked by Validate, so that a configuration
// can be validated on a machine that does not hold the secrets.
type TLSConfig struct {
	// CAFile is a PEM file with the certificate authorities that sign the
	// server's certificate; empty means the system's roots.
	CAFile string `yaml:"ca_file,omitempty"`
	// CertFile is a PEM file with the client certificate presented for
	// mutual TLS; it requires KeyFile.
	CertFile string `yaml:"cert_file,omitempty"`
	// KeyFile is a PEM file with the private key of CertFile.
	KeyFile string `yaml:"key_file,omitempty"`
	// ServerName is the name the server's certificate must be valid for;
	// empty means the host of the address dialled.
	ServerName string `yaml:"server_name,omitempty"`
	// InsecureSkipVerify disables verification of the server's certificate.
	// It is for tests and emergencies: the connection is still encrypted but
	// anyone on the path can read it.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
}

// Validate reports settings that cannot work together: a client certificate
// without its key or a key without its certificate. Errors carry field paths
// relative to the tls mapping (see package configerr).
func (c TLSConfig) Validate() error {
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		return configerr.Fieldf("key_file", "must be set when cert_file is set")
	case c.KeyFile != "" && c.CertFile == "":
		return configerr.Fieldf("cert_file", "must be set when key_file is set")
	}
	return nil
}

// SetDirectory makes the relative file paths in c relative to dir, the
// directory of the configuration file they were read from.
func (c *TLSConfig) SetDirectory(dir string) {
	for _, p := range []*string{&c.CAFile, &c.CertFile, &c.KeyFile} {
		*p = joinDir(dir, *p)
	}
}

// Build validates c, reads the files it names and returns the resulting
// client-side tls.Config (TLS 1.2 or newer). Files are read once: a rotated
// certificate takes effect when the client is built again, which a
// configuration reload does.
func (c TLSConfig) Build() (*tls.Config, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // Explicitly requested by the configuration.
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %s: no PEM certificates found", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate %s: %w", c.CertFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// joinDir returns path relative to dir unless it is empty or absolute.
func joinDir(dir, path string) string {
	if path == "" || dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
