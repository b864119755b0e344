package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

// robot is a DingTalk custom robot as its documentation describes it:
// POST /robot/send?access_token=...[&timestamp=...&sign=...], where sign
// is base64(HMAC-SHA256(secret, timestamp+"\n"+secret)) and the timestamp
// (milliseconds) is within an hour; answers {"errcode":0,"errmsg":"ok"}.
func robot(t *testing.T, secret string, tooFast bool, got *Message) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		answer := func(code int, msg string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != "tok" {
			answer(300001, "token is not exist")
			return
		}
		if secret != "" {
			ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
				answer(310000, "invalid timestamp")
				return
			}
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
			if q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
				answer(310000, "sign not match")
				return
			}
		}
		if tooFast {
			answer(130101, "send too fast, exceed 20 times per minute")
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, got); err != nil {
			answer(40035, "invalid json")
			return
		}
		switch {
		case got.MsgType == "markdown" && got.Markdown != nil && got.Markdown.Title != "" && got.Markdown.Text != "":
		case got.MsgType == "text" && got.Text != nil && got.Text.Content != "":
		default:
			answer(40035, "missing content")
			return
		}
		answer(0, "ok")
	}))
}

func TestNotify(t *testing.T) {
	tests := []struct {
		name          string
		serverSecret  string
		clientSecret  string
		messageType   string
		tooFast       bool
		wantErr       bool
		permanent     bool
		wantInContent string
	}{
		{"signed markdown", "SECabc", "SECabc", "markdown", false, false, false, "lag of hotdog above 1e6"},
		{"unsigned text", "", "", "text", false, false, false, "ConsumerLag"},
		{"wrong secret", "SECabc", "SECwrong", "markdown", false, true, true, ""},
		{"too fast", "", "", "markdown", true, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Message
			srv := robot(t, tt.serverSecret, tt.tooFast, &got)
			defer srv.Close()
			cfg := DefaultConfig
			cfg.URL = "http://placeholder"
			cfg.Secret = "x"
			cfg.MessageType = tt.messageType
			cfg.AtMobiles = []string{"13800000000"}
			n, err := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
			if err != nil {
				t.Fatal(err)
			}
			n.url, n.secret = srv.URL+"/robot/send?access_token=tok", tt.clientSecret
			err = n.Notify(context.Background(), notifytest.Notification())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Notify: %v, want error %t", err, tt.wantErr)
			}
			if err != nil {
				if notify.IsPermanent(err) != tt.permanent {
					t.Errorf("permanent = %t, want %t (%v)", notify.IsPermanent(err), tt.permanent, err)
				}
				if !tt.permanent && notify.RetryAfterOf(err) != time.Minute {
					t.Errorf("retry after %s, want 1m", notify.RetryAfterOf(err))
				}
				return
			}
			content := ""
			if got.Markdown != nil {
				content = got.Markdown.Title + got.Markdown.Text
			} else {
				content = got.Text.Content
			}
			if !strings.Contains(content, tt.wantInContent) {
				t.Errorf("content %q lacks %q", content, tt.wantInContent)
			}
			if len(got.At.AtMobiles) != 1 {
				t.Errorf("at = %+v", got.At)
			}
		})
	}
}

func TestSignIsURLEncoded(t *testing.T) {
	// A signature with "+" and "/" must survive the query string.
	var seen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer srv.Close()
	cfg := DefaultConfig
	cfg.URL = "http://placeholder"
	n, _ := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
	n.url, n.secret = srv.URL+"/robot/send?access_token=tok", "SEC"
	for ms := int64(1700000000000); ; ms++ {
		if s := Sign(ms, "SEC"); strings.ContainsAny(s, "+/") {
			n.opts.Now = func() time.Time { return time.UnixMilli(ms) }
			break
		}
	}
	if err := n.Notify(context.Background(), notifytest.Notification()); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(strings.SplitN(seen, "sign=", 2)[1], "+/") {
		t.Errorf("sign not url-encoded in %q", seen)
	}
}
