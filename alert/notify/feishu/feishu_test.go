package feishu

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

// bot is a Feishu custom bot as its documentation describes it: the body
// carries "timestamp" (seconds) and "sign" = base64(HMAC-SHA256 with key
// timestamp+"\n"+secret over an empty message), the timestamp within an
// hour; answers {"code":0,"msg":"success","data":{}}.
func bot(t *testing.T, secret string, limited bool, got *Message) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(code int, msg string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, got); err != nil {
			answer(9499, "Bad Request")
			return
		}
		if secret != "" {
			ts, err := strconv.ParseInt(got.Timestamp, 10, 64)
			mac := hmac.New(sha256.New, []byte(got.Timestamp+"\n"+secret))
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Hour || got.Sign != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
				answer(19021, "sign match fail or timestamp is not within one hour from current time")
				return
			}
		}
		if limited {
			answer(11232, "frequency limited psm")
			return
		}
		switch {
		case got.MsgType == "text" && got.Content != nil && got.Content.Text != "":
		case got.MsgType == "interactive" && got.Card != nil && len(got.Card.Elements) > 0:
		default:
			answer(9499, "Bad Request")
			return
		}
		answer(0, "success")
	}))
}

func TestNotify(t *testing.T) {
	tests := []struct {
		name                       string
		serverSecret, clientSecret string
		messageType                string
		limited                    bool
		wantErr, permanent         bool
	}{
		{"signed card", "s3", "s3", "interactive", false, false, false},
		{"unsigned text", "", "", "text", false, false, false},
		{"wrong secret", "s3", "bad", "interactive", false, true, true},
		{"rate limited", "", "", "text", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Message
			srv := bot(t, tt.serverSecret, tt.limited, &got)
			defer srv.Close()
			cfg := DefaultConfig
			cfg.URL = "http://placeholder"
			cfg.MessageType = tt.messageType
			n, err := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
			if err != nil {
				t.Fatal(err)
			}
			n.url, n.secret = srv.URL+"/open-apis/bot/v2/hook/x", tt.clientSecret
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
			if tt.messageType == "interactive" {
				if got.Card.Header.Template != "red" || !strings.Contains(got.Card.Elements[0].Content, "hotdog") {
					t.Errorf("card = %+v", got.Card)
				}
			}
		})
	}
}
