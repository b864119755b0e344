package jvm

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultBodySizeLimit bounds a response body when the configured limit is 0.
const DefaultBodySizeLimit = httpclient.DefaultBodySizeLimit

// The reads of one Jolokia round, in the order of jolokiaRequest.
const (
	readMemory = iota
	readPools
	readGC
	readThreads
	readOS
	numReads
)

// jolokiaRequest is the bulk read request POSTed every round: the platform
// MXBeans that hold memory, pools, collectors, threads and process
// figures. Pattern reads return one value per matching MBean.
var jolokiaRequest = []byte(`[` +
	`{"type":"read","mbean":"java.lang:type=Memory"},` +
	`{"type":"read","mbean":"java.lang:name=*,type=MemoryPool","attribute":"Usage"},` +
	`{"type":"read","mbean":"java.lang:name=*,type=GarbageCollector","attribute":["CollectionCount","CollectionTime"]},` +
	`{"type":"read","mbean":"java.lang:type=Threading","attribute":["ThreadCount","PeakThreadCount","DaemonThreadCount"]},` +
	`{"type":"read","mbean":"java.lang:type=OperatingSystem","attribute":["ProcessCpuLoad","ProcessCpuTime","SystemCpuLoad","OpenFileDescriptorCount","MaxFileDescriptorCount"]}` +
	`]`)

// jolokiaMBeans names the MBeans of jolokiaRequest for error messages.
var jolokiaMBeans = [numReads]string{
	"java.lang:type=Memory",
	"java.lang:type=MemoryPool",
	"java.lang:type=GarbageCollector",
	"java.lang:type=Threading",
	"java.lang:type=OperatingSystem",
}

// JolokiaOptions are the dependencies of a Jolokia collector.
type JolokiaOptions struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings. The Manager's timeout applies through
	// the request context.
	Client *http.Client
}

// Jolokia collects one JVM through a Jolokia agent with a single bulk POST
// per round. A read that the agent answers with an error (an MBean that
// this JVM does not have, a security policy that forbids it) makes the round
// partial; an HTTP error, a body that is not a Jolokia bulk response, or a
// round in which every read failed fails the round.
type Jolokia struct {
	url     string
	client  *http.Client
	limit   int64
	emitter *Emitter
	stats   Stats
	buf     []byte
}

// NewJolokia returns a collector for the agent at cfg.URL. Unless
// opts.Client is set it builds the HTTP client from cfg.HTTP, reading the
// files that names (passwords, keys, certificates).
func NewJolokia(cfg *JolokiaConfig, opts JolokiaOptions) (*Jolokia, error) {
	if err := configerr.CheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("jolokia url: %w", err)
	}
	client := opts.Client
	if client == nil {
		c, err := httpclient.New(cfg.HTTP, 0)
		if err != nil {
			return nil, fmt.Errorf("build HTTP client: %w", err)
		}
		client = c
	}
	limit := int64(cfg.BodySizeLimit)
	if limit <= 0 {
		limit = DefaultBodySizeLimit
	}
	return &Jolokia{
		url:     cfg.URL,
		client:  client,
		limit:   limit,
		emitter: NewEmitter(),
		stats:   NewStats(),
	}, nil
}

// jolokiaResponse is one element of a bulk response.
type jolokiaResponse struct {
	Value     json.RawMessage `json:"value"`
	Status    int             `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"error_type"`
}

// jmxUsage is a java.lang.management.MemoryUsage as Jolokia serialises it.
type jmxUsage struct {
	Init      *float64 `json:"init"`
	Used      *float64 `json:"used"`
	Committed *float64 `json:"committed"`
	Max       *float64 `json:"max"`
}

func (u *jmxUsage) usage() Usage {
	out := NewUsage()
	if u == nil {
		return out
	}
	for _, f := range []struct {
		dst *float64
		src *float64
	}{{&out.Init, u.Init}, {&out.Used, u.Used}, {&out.Committed, u.Committed}, {&out.Max, u.Max}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return out
}

// Collect reads the JVM once.
func (j *Jolokia) Collect(ctx context.Context, b *collector.Batch) error {
	body, err := j.post(ctx)
	if err != nil {
		return err
	}
	var resps []jolokiaResponse
	if err := json.Unmarshal(body, &resps); err != nil {
		// An agent that rejects the whole request answers with one object.
		var single jolokiaResponse
		if json.Unmarshal(body, &single) == nil && single.Status != 0 {
			return fmt.Errorf("jolokia rejected the request: status %d: %s", single.Status, truncate(single.Error))
		}
		return fmt.Errorf("decode jolokia response: %w", err)
	}
	if len(resps) != numReads {
		return fmt.Errorf("decode jolokia response: got %d answers to %d reads", len(resps), numReads)
	}
	j.stats.Reset()
	var errs []error
	failed := 0
	for i := range resps {
		r := &resps[i]
		if r.Status != http.StatusOK {
			failed++
			errs = append(errs, fmt.Errorf("read %s: status %d: %s", jolokiaMBeans[i], r.Status, truncate(r.Error)))
			continue
		}
		if err := decodeRead(i, r.Value, &j.stats); err != nil {
			failed++
			errs = append(errs, fmt.Errorf("decode %s: %w", jolokiaMBeans[i], err))
		}
	}
	if failed == numReads {
		return errors.Join(errs...)
	}
	j.emitter.Emit(b, &j.stats)
	return collector.Partial(errors.Join(errs...))
}

// decodeRead adds the value of read i to s.
func decodeRead(i int, value json.RawMessage, s *Stats) error {
	switch i {
	case readMemory:
		var v struct {
			Heap    *jmxUsage `json:"HeapMemoryUsage"`
			NonHeap *jmxUsage `json:"NonHeapMemoryUsage"`
		}
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		if v.Heap == nil {
			return errors.New("no HeapMemoryUsage")
		}
		s.Heap, s.NonHeap = v.Heap.usage(), v.NonHeap.usage()
	case readPools:
		var v map[string]struct {
			Usage *jmxUsage `json:"Usage"`
		}
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		for name, p := range v {
			if p.Usage == nil {
				continue // An invalid pool reports no usage.
			}
			s.Pools = append(s.Pools, Pool{Name: objectNameProperty(name, "name"), Usage: p.Usage.usage()})
		}
		slices.SortFunc(s.Pools, func(a, b Pool) int { return cmp.Compare(a.Name, b.Name) })
	case readGC:
		var v map[string]struct {
			Count *float64 `json:"CollectionCount"`
			Time  *float64 `json:"CollectionTime"`
		}
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		for name, g := range v {
			gc := GC{Name: objectNameProperty(name, "name"), Count: nan(g.Count), Seconds: nan(g.Time) / 1000}
			s.GC = append(s.GC, gc)
		}
		slices.SortFunc(s.GC, func(a, b GC) int { return cmp.Compare(a.Name, b.Name) })
	case readThreads:
		var v struct {
			Current *float64 `json:"ThreadCount"`
			Peak    *float64 `json:"PeakThreadCount"`
			Daemon  *float64 `json:"DaemonThreadCount"`
		}
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		s.ThreadsCurrent, s.ThreadsPeak, s.ThreadsDaemon = nan(v.Current), nan(v.Peak), nan(v.Daemon)
	case readOS:
		var v struct {
			CPUTime *float64 `json:"ProcessCpuTime"`
			Open    *float64 `json:"OpenFileDescriptorCount"`
			Max     *float64 `json:"MaxFileDescriptorCount"`
		}
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		// ProcessCpuTime is in nanoseconds; -1 means not supported.
		if v.CPUTime != nil && *v.CPUTime >= 0 {
			s.CPUSeconds = *v.CPUTime / 1e9
		}
		s.OpenFDs, s.MaxFDs = nan(v.Open), nan(v.Max)
	}
	return nil
}

// post sends the bulk request and returns the response body, bounded by the
// size limit.
func (j *Jolokia) post(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(jolokiaRequest))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pipewatch")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post to jolokia: %w", err)
	}
	defer resp.Body.Close()
	if err := httpclient.CheckStatus(resp); err != nil {
		return nil, fmt.Errorf("post to jolokia: %w", err)
	}
	buf, err := httpclient.ReadBody(resp.Body, j.buf[:0], j.limit)
	j.buf = buf
	if err != nil {
		return nil, fmt.Errorf("read jolokia response: %w", err)
	}
	return buf, nil
}

// objectNameProperty returns the value of key in a JMX object name such as
// "java.lang:name=G1 Eden Space,type=MemoryPool", unquoting a quoted value.
// It returns the whole name if the key is missing.
func objectNameProperty(objectName, key string) string {
	_, props, ok := strings.Cut(objectName, ":")
	if !ok {
		return objectName
	}
	for props != "" {
		k, rest, ok := strings.Cut(props, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			// Quoted value: backslash escapes, ends at the closing quote.
			var sb strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				sb.WriteByte(rest[i])
			}
			v, rest = sb.String(), rest[min(i+1, len(rest)):]
			rest = strings.TrimPrefix(rest, ",")
		} else {
			v, rest, _ = strings.Cut(rest, ",")
		}
		if k == key {
			return v
		}
		props = rest
	}
	return objectName
}

// nan returns *p, or NaN (not reported) if p is nil.
func nan(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// truncate shortens a remote error message for our own error text.
func truncate(s string) string {
	const maxLen = 200
	if len(s) > maxLen {
		return s[:maxLen] + "..."
	}
	return s
}
