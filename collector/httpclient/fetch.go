package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// DefaultBodySizeLimit is the response body size limit, in bytes, that
// collectors apply when their configuration sets none: 10 MiB.
const DefaultBodySizeLimit = 10 << 20

// userAgent is the User-Agent header of every request that Get sends.
const userAgent = "pipewatch"

// StatusError reports a response whose HTTP status is not 200 OK.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Status is the status line, such as "404 Not Found".
	Status string
}

// Error returns "server returned HTTP status <Status>".
func (e *StatusError) Error() string { return "server returned HTTP status " + e.Status }

// IsStatus reports whether err is, or wraps, a *StatusError with one of
// the codes.
func IsStatus(err error, codes ...int) bool {
	se, ok := errors.AsType[*StatusError](err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if se.Code == c {
			return true
		}
	}
	return false
}

// CheckStatus returns a *StatusError if resp's status is not 200 OK. It
// then reads (at most 4 KiB of) the body away, so that the connection can
// be reused once the caller closes it.
func CheckStatus(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return &StatusError{Code: resp.StatusCode, Status: resp.Status}
}

// ReadBody reads r to its end into buf, growing it as needed, and returns
// the result: callers pass buf[:0] of the buffer they got last time so that
// its memory is reused. It reads at most limit+1 bytes and fails, with an
// error that says "body exceeds the limit of <limit> bytes", if there were
// more than limit. On error the returned slice still holds the buffer, for
// the next call.
func ReadBody(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		return buf, fmt.Errorf("body exceeds the limit of %d bytes", limit)
	}
	return buf, nil
}

// Get sends a GET request for rawURL with the given Accept header and
// returns the response if its status is 200 OK; the caller must close its
// body. Any other status gives a *StatusError (see CheckStatus). Transport
// errors are returned without their *url.Error wrapper, whose message
// repeats the whole URL, so that callers can name the request in their own
// words.
func Get(ctx context.Context, client *http.Client, rawURL, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return nil, err
	}
	if err := CheckStatus(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// errBodyTooLarge is the cause of a Fetcher's error for a body over the
// size limit.
var errBodyTooLarge = errors.New("body exceeds the size limit")

// Fetcher gets JSON documents from one REST API, the way the collectors of
// Flink, Spark, Storm, Logstash and Kafka Connect read theirs: every request
// goes to a path below one base URL, its body is bounded by a size limit,
// and at most a fixed number of requests are in flight at once. It is safe
// for concurrent use; body buffers are pooled between requests.
type Fetcher struct {
	base   string // without a trailing slash
	client *http.Client
	limit  int64
	sem    chan struct{}
	bufs   sync.Pool
}

// NewFetcher returns a Fetcher for the REST API at base, an http or https
// URL whose path prefix (as behind a proxy) is kept. A limit of 0 or less
// means DefaultBodySizeLimit; a concurrency below 1 means 1.
func NewFetcher(base string, client *http.Client, limit int64, concurrency int) (*Fetcher, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("parse url: want an http or https URL with a host")
	}
	if limit <= 0 {
		limit = DefaultBodySizeLimit
	}
	if concurrency < 1 {
		concurrency = 1
	}
	return &Fetcher{
		base:   strings.TrimSuffix(base, "/"),
		client: client,
		limit:  limit,
		sem:    make(chan struct{}, concurrency),
		bufs:   sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}, nil
}

// GetJSON fetches path (which starts with a slash and may carry a query)
// and decodes its JSON body into v. It waits for a free request slot as
// long as ctx allows. Errors name the path but not the base URL: "get
// <path>: ..." for the request (a *StatusError for a status other than 200
// OK, see IsStatus), "read body of <path>: ..." for a body that cannot be
// read or exceeds the size limit, and "decode body of <path>: ..." for one
// that is not the JSON v expects.
func (f *Fetcher) GetJSON(ctx context.Context, path string, v any) error {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("get %s: %w", path, ctx.Err())
	}
	defer func() { <-f.sem }()

	resp, err := Get(ctx, f.client, f.base+path, "application/json")
	if err != nil {
		return fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	buf := f.bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			f.bufs.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, f.limit+1)); err != nil {
		return fmt.Errorf("read body of %s: %w", path, err)
	}
	if int64(buf.Len()) > f.limit {
		return fmt.Errorf("read body of %s: %w (%d bytes)", path, errBodyTooLarge, f.limit)
	}
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		return fmt.Errorf("decode body of %s: %w", path, err)
	}
	return nil
}
