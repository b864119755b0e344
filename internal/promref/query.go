package promref

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query is one request to the Prometheus HTTP API v1: an instant query
// (/api/v1/query) evaluated at End, or a range query (/api/v1/query_range)
// from Start to End every Step.
type Query struct {
	// Name identifies the query, e.g. as a subtest name; names are unique
	// within Queries.
	Name string
	// Expr is the PromQL expression.
	Expr string
	// Range selects a range query; otherwise Start and Step are ignored.
	Range bool
	// Start is the first evaluation time of a range query.
	Start time.Time
	// End is the evaluation time of an instant query and the last possible
	// evaluation time of a range query.
	End time.Time
	// Step is the resolution of a range query.
	Step time.Duration
	// Ordered reports that the order of the series in the result is part
	// of the answer (sort, sort_desc, topk, bottomk), so Compare must not
	// ignore it.
	Ordered bool
	// WantError reports that the reference answers with status "error"
	// (a parse error, a failing evaluation, too many points).
	WantError bool
	// KnownDifference, when not empty, explains why Prometheus 2.42 (the
	// reference) and 3.x (embedded in pipewatch) may answer this query
	// differently; differential tests should report, not fail, a mismatch.
	KnownDifference string
}

// Path returns the API path the query is sent to.
func (q Query) Path() string {
	if q.Range {
		return "/api/v1/query_range"
	}
	return "/api/v1/query"
}

// Params returns the query's form parameters as Grafana sends them: query,
// and time or start, end and step, as Unix seconds.
func (q Query) Params() url.Values {
	v := url.Values{"query": {q.Expr}}
	if q.Range {
		v.Set("start", formatUnix(q.Start))
		v.Set("end", formatUnix(q.End))
		v.Set("step", strconv.FormatFloat(q.Step.Seconds(), 'f', -1, 64))
	} else {
		v.Set("time", formatUnix(q.End))
	}
	return v
}

// Compare compares the reference's answer want with got, heeding the
// order of the result series when q.Ordered is set (see Compare and
// CompareOrdered).
func (q Query) Compare(want, got []byte) error {
	if q.Ordered {
		return CompareOrdered(want, got)
	}
	return Compare(want, got)
}

// String returns the query's name, kind, times and expression for messages.
func (q Query) String() string {
	if q.Range {
		return fmt.Sprintf("%s: range %s .. %s step %s: %s", q.Name,
			q.Start.UTC().Format(time.RFC3339), q.End.UTC().Format(time.RFC3339), q.Step, q.Expr)
	}
	return fmt.Sprintf("%s: instant at %s: %s", q.Name, q.End.UTC().Format(time.RFC3339), q.Expr)
}

// Fetch sends q with POST (Grafana's default) to the Prometheus HTTP API v1
// served at baseURL and returns the response body. Error answers of the API
// (status "error", with HTTP status 400, 422, 503, ...) are returned as the
// body with a nil error, so they can be compared too; an error is returned
// only when no API answer arrived. A nil client means a plain http.Client.
func Fetch(ctx context.Context, client *http.Client, baseURL string, q Query) ([]byte, error) {
	if client == nil {
		client = &http.Client{}
	}
	u := strings.TrimSuffix(baseURL, "/") + q.Path()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(q.Params().Encode()))
	if err != nil {
		return nil, fmt.Errorf("build request for query %q: %w", q.Name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send query %q: %w", q.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer to query %q: %w", q.Name, err)
	}
	var probe struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &probe); err != nil || probe.Status == "" {
		return nil, fmt.Errorf("query %q: HTTP %d without an API answer: %s", q.Name, resp.StatusCode, abbreviate(body, 300))
	}
	return body, nil
}

// formatUnix formats t as Unix seconds with up to millisecond precision.
func formatUnix(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// abbreviate returns b as a string of at most n bytes, marking a cut.
func abbreviate(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
