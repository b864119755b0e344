package wecom

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

// robot is a WeCom group robot as documented: POST
// /cgi-bin/webhook/send?key=..., markdown content up to 4096 bytes, text
// up to 2048; answers {"errcode":0,"errmsg":"ok"}, 93000 for an invalid
// key, 45009 over the rate limit.
func robot(t *testing.T, limited bool, got *Message) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(code int, msg string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "k1" {
			answer(93000, "invalid webhook url")
			return
		}
		if limited {
			answer(45009, "api freq out of limit")
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, got); err != nil {
			answer(40008, "invalid message type")
			return
		}
		switch {
		case got.MsgType == "markdown" && got.Markdown != nil && got.Markdown.Content != "" && len(got.Markdown.Content) <= 4096:
		case got.MsgType == "text" && got.Text != nil && got.Text.Content != "" && len(got.Text.Content) <= 2048:
		default:
			answer(40058, "invalid content")
			return
		}
		answer(0, "ok")
	}))
}

func TestNotify(t *testing.T) {
	tests := []struct {
		name, path, messageType string
		limited                 bool
		wantErr, permanent      bool
	}{
		{"markdown", "/cgi-bin/webhook/send?key=k1", "markdown", false, false, false},
		{"text", "/cgi-bin/webhook/send?key=k1", "text", false, false, false},
		{"invalid key", "/cgi-bin/webhook/send?key=nope", "markdown", false, true, true},
		{"rate limited", "/cgi-bin/webhook/send?key=k1", "markdown", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Message
			srv := robot(t, tt.limited, &got)
			defer srv.Close()
			cfg := DefaultConfig
			cfg.URL = "http://placeholder"
			cfg.MessageType = tt.messageType
			n, err := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
			if err != nil {
				t.Fatal(err)
			}
			n.url = srv.URL + tt.path
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
			if tt.messageType == "markdown" && !strings.Contains(got.Markdown.Content, "[FIRING:1]") {
				t.Errorf("markdown = %q", got.Markdown.Content)
			}
		})
	}
}

func TestLongContentIsCut(t *testing.T) {
	cfg := DefaultConfig
	cfg.URL = "http://placeholder"
	cfg.Text = strings.Repeat("告警", 3000)
	n, _ := New(&cfg, notify.Options{Template: notifytest.Template(t)})
	m, err := n.NewMessage(notifytest.Notification())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Markdown.Content) > 4096 {
		t.Errorf("markdown content has %d bytes", len(m.Markdown.Content))
	}
}
