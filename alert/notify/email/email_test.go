package email

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

// smtpServer is a minimal SMTP server on loopback (RFC 5321 commands
// EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) that records one message.
type smtpServer struct {
	ln       net.Listener
	auth     string // "user\x00pass" expected with AUTH PLAIN, or ""
	rcptCode int    // reply to RCPT TO
	got      chan smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data string
	auth string
}

func newSMTPServer(t *testing.T, auth string, rcptCode int) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, auth: auth, rcptCode: rcptCode, got: make(chan smtpMessage, 1)}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) serve() {
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	tc := textproto.NewConn(conn)
	reply := func(code int, lines ...string) {
		for i, l := range lines {
			sep := " "
			if i < len(lines)-1 {
				sep = "-"
			}
			_ = tc.PrintfLine("%d%s%s", code, sep, l)
		}
	}
	reply(220, "test ESMTP")
	var msg smtpMessage
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(cmd) {
		case "EHLO":
			if s.auth != "" {
				reply(250, "test", "AUTH PLAIN LOGIN")
			} else {
				reply(250, "test")
			}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			msg.auth = string(b)
			if mech != "PLAIN" || !strings.HasSuffix(msg.auth, s.auth) {
				reply(535, "authentication failed")
				continue
			}
			reply(235, "ok")
		case "MAIL":
			msg.from = strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>")
			reply(250, "ok")
		case "RCPT":
			msg.to = append(msg.to, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>"))
			reply(s.rcptCode, "rcpt")
		case "DATA":
			reply(354, "go ahead")
			data, _ := io.ReadAll(tc.DotReader())
			msg.data = string(data)
			reply(250, "queued")
		case "QUIT":
			reply(221, "bye")
			s.got <- msg
			return
		default:
			reply(502, "unknown")
		}
	}
}

func TestNotify(t *testing.T) {
	tests := []struct {
		name      string
		auth      string
		rcptCode  int
		wantErr   bool
		permanent bool
	}{
		{"plain auth", "alerts\x00pw", 250, false, false},
		{"no auth", "", 250, false, false},
		{"mailbox unavailable (permanent)", "", 550, true, true},
		{"try later (retryable)", "", 451, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSMTPServer(t, tt.auth, tt.rcptCode)
			no := false
			cfg := DefaultConfig
			cfg.To, cfg.From, cfg.Smarthost, cfg.RequireTLS = "ops@example.org, oncall@example.org", "pipewatch@example.org", srv.ln.Addr().String(), &no
			cfg.Text = `{{ range .Alerts }}{{ .Labels.consumergroup }} {{ end }}`
			if tt.auth != "" {
				cfg.AuthUsername, cfg.AuthPassword = "alerts", "pw"
			}
			n, err := New(&cfg, notify.Options{Template: notifytest.Template(t)})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), notifytest.Notification())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Notify: %v, want error %t", err, tt.wantErr)
			}
			if err != nil {
				if notify.IsPermanent(err) != tt.permanent {
					t.Errorf("permanent = %t, want %t (%v)", notify.IsPermanent(err), tt.permanent, err)
				}
				return
			}
			got := <-srv.got
			if got.from != "pipewatch@example.org" || strings.Join(got.to, ",") != "ops@example.org,oncall@example.org" {
				t.Errorf("envelope from %q to %v", got.from, got.to)
			}
			m, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(got.data)))
			if err != nil {
				t.Fatalf("parse message: %v", err)
			}
			key := notifytest.Notification().IdempotencyKey
			if m.Header.Get("Message-Id") != "<"+key+"@example.org>" || m.Header.Get("X-Pipewatch-Idempotency-Key") != key {
				t.Errorf("headers %v", m.Header)
			}
			if subj, _ := new(mimeDecoder).decode(m.Header.Get("Subject")); !strings.HasPrefix(subj, "[FIRING:1] ConsumerLag") {
				t.Errorf("subject %q", subj)
			}
			if !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative") || !strings.Contains(got.data, "hotdog fries") {
				t.Errorf("body:\n%s", got.data)
			}
		})
	}
}

func TestRequireTLS(t *testing.T) {
	srv := newSMTPServer(t, "", 250)
	cfg := DefaultConfig
	cfg.To, cfg.From, cfg.Smarthost = "ops@example.org", "pipewatch@example.org", srv.ln.Addr().String()
	n, _ := New(&cfg, notify.Options{Template: notifytest.Template(t)})
	err := n.Notify(context.Background(), notifytest.Notification())
	if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("err = %v, want a permanent STARTTLS error", err)
	}
}
