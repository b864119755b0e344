package spark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// defaultBodySizeLimit bounds a response body when the configuration sets
// no limit.
const defaultBodySizeLimit = 10 << 20

// errBodyTooLarge is returned for a response body over the size limit.
var errBodyTooLarge = errors.New("body exceeds the size limit")

// statusError is returned for a response whose HTTP status is not 200 OK.
type statusError struct {
	// Code is the HTTP status code.
	Code int
	// Status is the status line, such as "404 Not Found".
	Status string
}

// Error implements error.
func (e *statusError) Error() string { return "server returned HTTP status " + e.Status }

// restClient gets JSON documents from one REST API, bounding the body size
// and the number of requests in flight. It is safe for concurrent use.
type restClient struct {
	base   string // without a trailing slash
	client *http.Client
	limit  int64
	sem    chan struct{}
	bufs   sync.Pool
}

func newRESTClient(base string, client *http.Client, limit int64, concurrency int) (*restClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("parse url: want an http or https URL with a host")
	}
	if limit <= 0 {
		limit = defaultBodySizeLimit
	}
	if concurrency < 1 {
		concurrency = 1
	}
	return &restClient{
		base:   strings.TrimSuffix(base, "/"),
		client: client,
		limit:  limit,
		sem:    make(chan struct{}, concurrency),
		bufs:   sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}, nil
}

// get fetches path (which starts with a slash and may carry a query) and
// decodes the JSON body into v. Errors name the path but not the base URL.
func (c *restClient) get(ctx context.Context, path string, v any) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("get %s: %w", path, ctx.Err())
	}
	defer func() { <-c.sem }()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pipewatch")
	resp, err := c.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("get %s: %w", path, &statusError{Code: resp.StatusCode, Status: resp.Status})
	}
	buf := c.bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			c.bufs.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, c.limit+1)); err != nil {
		return fmt.Errorf("read body of %s: %w", path, err)
	}
	if int64(buf.Len()) > c.limit {
		return fmt.Errorf("read body of %s: %w (%d bytes)", path, errBodyTooLarge, c.limit)
	}
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		return fmt.Errorf("decode body of %s: %w", path, err)
	}
	return nil
}

// isStatus reports whether err is a statusError with one of the codes.
func isStatus(err error, codes ...int) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Code == c {
			return true
		}
	}
	return false
}

// number is a JSON value that REST APIs send as a number, as a string
// ("0.003", "NaN", "Infinity"), as a boolean or as null. Set is false for
// null, for strings that are not numbers, and for absent fields.
type number struct {
	V   float64
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	*n = number{}
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n.V, n.Set = parseValue(s)
		return nil
	case string(b) == "true", string(b) == "false":
		n.V, n.Set = parseValue(string(b))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("parse number %.20q: %w", b, err)
	}
	n.V, n.Set = v, true
	return nil
}

// parseValue parses a value that a REST API reports as a string: a number
// (including NaN and Infinity as Java prints them) or a boolean. Other
// strings (paths, state names, "N/A") are not values.
func parseValue(s string) (float64, bool) {
	switch s {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
