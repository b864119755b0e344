package notify

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	commoncfg "github.com/prometheus/common/config"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// CheckURL validates the URL of a peer: it must parse, use http or https
// and name a host. Messages never repeat the URL, which may hold a token.
func CheckURL(s string) error {
	if s == "" {
		return errors.New("must be set")
	}
	u, err := url.Parse(s)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("parse URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q must be http or https", u.Scheme)
	case u.Host == "":
		return errors.New("must have a host")
	}
	return nil
}

// CheckSecret validates a secret that may be given inline (key) or in a
// file (key + "_file"): not both, and at least one when required. Errors
// are located at key or key_file.
func CheckSecret(key string, value commoncfg.Secret, file string, required bool) error {
	switch {
	case value != "" && file != "":
		return configerr.Fieldf(key+"_file", "must not be set together with %s", key)
	case required && value == "" && file == "":
		return configerr.Fieldf(key, "must be set (or %s_file)", key)
	}
	return nil
}

// CheckSecretURL validates a URL given inline or in a file, as
// CheckSecret does, and the inline URL as CheckURL does.
func CheckSecretURL(key string, value commoncfg.Secret, file string, required bool) error {
	if err := CheckSecret(key, value, file, required); err != nil {
		return err
	}
	if value != "" {
		return configerr.Field(key, CheckURL(string(value)))
	}
	return nil
}

// ReadSecret returns value, or the content of file (surrounding white
// space trimmed) when file is set.
func ReadSecret(value commoncfg.Secret, file string) (string, error) {
	if file == "" {
		return string(value), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadSecretURL returns the URL given inline or in a file and checks it.
func ReadSecretURL(value commoncfg.Secret, file string) (string, error) {
	s, err := ReadSecret(value, file)
	if err != nil {
		return "", err
	}
	if err := CheckURL(s); err != nil {
		return "", fmt.Errorf("check URL: %w", err)
	}
	return s, nil
}

// JoinDir makes a relative path relative to dir; empty and absolute paths
// are returned unchanged.
func JoinDir(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
