package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// DialFunc opens a connection to a broker, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// clientOpts returns the kgo options shared by every client of a cluster:
// seed brokers, client id, TLS, SASL, the dialer and the logger. It reads
// the TLS files and the SASL password.
func clientOpts(cfg *Config, dial DialFunc, logger *slog.Logger) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.WithLogger(kgoLogger{l: logger}),
		// A collection must end within its timeout; kgo's default
		// retries for 30s would hide a down broker behind a timeout of
		// the whole round instead of a partial one.
		kgo.RetryTimeout(time.Duration(cfg.CollectTimeout)),
		kgo.ConnIdleTimeout(max(time.Minute, 3*time.Duration(cfg.MetadataInterval))),
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, fmt.Errorf("build tls config: %w", err)
	}
	switch {
	case dial != nil && tlsCfg != nil:
		opts = append(opts, kgo.Dialer(tlsDialer(dial, tlsCfg)))
	case dial != nil:
		opts = append(opts, kgo.Dialer(dial))
	case tlsCfg != nil:
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	if cfg.SASL.Enabled() {
		mech, err := saslMechanism(cfg.SASL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// saslMechanism returns the kgo SASL mechanism for c, reading its password.
func saslMechanism(c SASLConfig) (sasl.Mechanism, error) {
	pass, err := c.ReadPassword()
	if err != nil {
		return nil, err
	}
	switch c.Mechanism {
	case SASLMechanismPlain:
		return plain.Auth{User: c.Username, Pass: pass}.AsMechanism(), nil
	case SASLMechanismScramSHA256:
		return scram.Auth{User: c.Username, Pass: pass}.AsSha256Mechanism(), nil
	case SASLMechanismScramSHA512:
		return scram.Auth{User: c.Username, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("build sasl: unknown mechanism %q", c.Mechanism)
}

// tlsDialer wraps dial so that connections speak TLS with cfg.
func tlsDialer(dial DialFunc, cfg *tls.Config) DialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			if host, _, err := net.SplitHostPort(address); err == nil {
				c.ServerName = host
			}
		}
		tc := tls.Client(conn, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", address, err)
		}
		return tc, nil
	}
}

// kgoLogger adapts kgo's logger to slog. kgo's errors become warnings
// (they are mostly brokers going away, which the collection reports
// anyway) and its warnings debug messages; its info and debug chatter is
// dropped. kgo never logs SASL secrets.
type kgoLogger struct{ l *slog.Logger }

// Level implements kgo.Logger.
func (k kgoLogger) Level() kgo.LogLevel {
	if k.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelWarn
	}
	return kgo.LogLevelError
}

// Log implements kgo.Logger.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelDebug
	if level == kgo.LogLevelError {
		lvl = slog.LevelWarn
	}
	k.l.Log(context.Background(), lvl, "kafka client: "+msg, keyvals...)
}
