package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/jvm"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultBodySizeLimit bounds each response body when the configured limit
// is 0.
const DefaultBodySizeLimit = httpclient.DefaultBodySizeLimit

// Options are the dependencies of a Collector.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings. The Manager's timeout applies through
	// the request context.
	Client *http.Client
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

// endpoint identifies one of the requests of a round.
type endpoint int

const (
	epRoot endpoint = iota
	epHealth
	epNodes
	epIndices
	epSettings
	numEndpoints
)

// Collector collects one Elasticsearch or OpenSearch cluster. Each round
// sends its requests concurrently and emits what each answered; see the
// package documentation for the series and for how failures are reported.
type Collector struct {
	client  *http.Client
	logger  *slog.Logger
	limit   int64
	paths   [numEndpoints]string // "" for endpoints not collected
	urls    [numEndpoints]string
	nodes   *nodeDescs
	cluster *clusterDescs
	indices []indexMetric

	jvm      *jvm.Emitter // nil unless jvm_metrics
	jvmStats jvm.Stats

	bufs [numEndpoints][]byte
}

// New returns a Collector for the cluster cfg describes. Unless opts.Client
// is set it builds the HTTP client from cfg.HTTP, reading the files that
// names (passwords, API keys, certificates).
func New(cfg *Config, opts Options) (*Collector, error) {
	if err := configerr.CheckBaseURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("elasticsearch url: %w", err)
	}
	base, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse elasticsearch url: %w", err)
	}
	nodes := cfg.Nodes
	if nodes == "" {
		nodes = DefaultConfig.Nodes
	}
	if !nodesRE.MatchString(nodes) {
		return nil, fmt.Errorf("nodes %q is not a node specification", nodes)
	}
	client := opts.Client
	if client == nil {
		if client, err = httpclient.New(cfg.HTTP, 0); err != nil {
			return nil, fmt.Errorf("build HTTP client: %w", err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{
		client:  client,
		logger:  opts.Logger,
		limit:   int64(cfg.BodySizeLimit),
		nodes:   newNodeDescs(),
		cluster: newClusterDescs(),
	}
	if c.limit <= 0 {
		c.limit = DefaultBodySizeLimit
	}
	c.paths[epRoot] = "/"
	c.paths[epHealth] = "/_cluster/health"
	if nodes == "_all" {
		c.paths[epNodes] = "/_nodes/stats"
	} else {
		c.paths[epNodes] = "/_nodes/" + nodes + "/stats"
	}
	if cfg.Indices {
		c.paths[epIndices] = "/_all/_stats"
		c.indices = newIndexDescs()
	}
	if cfg.ClusterSettings {
		c.paths[epSettings] = "/_cluster/settings"
	}
	queries := [numEndpoints]string{epIndices: "ignore_unavailable=true", epSettings: "include_defaults=true"}
	for ep, p := range c.paths {
		if p == "" {
			continue
		}
		u := *base
		u.Path = strings.TrimSuffix(base.Path, "/") + p
		u.RawPath = ""
		u.RawQuery = queries[ep]
		c.urls[ep] = u.String()
	}
	if cfg.JVMMetrics {
		c.jvm = jvm.NewEmitter("cluster", "name")
		c.jvmStats = jvm.NewStats()
	}
	return c, nil
}

// responses holds the decoded answers of one round.
type responses struct {
	root     rootResponse
	health   healthResponse
	nodes    nodesStatsResponse
	indices  indicesStatsResponse
	settings settingsResponse
}

// outcome is what became of one request: usable says whether its response
// can be emitted, err what went wrong (set with usable for a response that
// decoded only in part).
type outcome struct {
	usable bool
	err    error
}

// Collect sends the round's requests concurrently and emits every usable
// answer. It returns an error if no request succeeded (or ctx ended), a
// *collector.PartialError if some failed, and nil otherwise.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	var r responses
	targets := [numEndpoints]any{&r.root, &r.health, &r.nodes, &r.indices, &r.settings}
	checks := [numEndpoints]func() error{
		func() error {
			if r.root.Version.Number == "" {
				return errors.New("no version.number: not an Elasticsearch or OpenSearch node")
			}
			return nil
		},
		func() error {
			if r.health.Status == "" {
				return errors.New("no status in the response")
			}
			return nil
		},
		func() error {
			if r.nodes.Nodes == nil {
				return errors.New("no nodes in the response")
			}
			return nil
		},
		func() error {
			if r.indices.Indices == nil {
				return errors.New("no indices in the response")
			}
			return nil
		},
		func() error {
			if r.settings.Defaults == nil && r.settings.Persistent == nil && r.settings.Transient == nil {
				return errors.New("no settings in the response")
			}
			return nil
		},
	}
	var out [numEndpoints]outcome
	var wg sync.WaitGroup
	for ep := range numEndpoints {
		if c.urls[ep] == "" {
			continue
		}
		wg.Go(func() {
			out[ep] = c.get(ctx, ep, targets[ep])
			if out[ep].usable {
				if err := checks[ep](); err != nil {
					out[ep] = outcome{err: fmt.Errorf("decode %s: %w", c.paths[ep], err)}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("collect elasticsearch: %w", err)
	}

	var errs []error
	usable := 0
	for ep := range numEndpoints {
		if c.urls[ep] == "" {
			continue
		}
		if out[ep].err != nil {
			errs = append(errs, out[ep].err)
		}
		if out[ep].usable {
			usable++
		}
	}
	if usable == 0 {
		return errors.Join(errs...)
	}

	d := c.cluster
	if out[epRoot].usable {
		c.emitVersion(b, &r.root)
	}
	b.Emit(d.healthUp, boolValue(out[epHealth].usable))
	if out[epHealth].usable {
		c.emitHealth(b, &r.health)
	}
	b.Emit(d.nodesUp, boolValue(out[epNodes].usable))
	if out[epNodes].usable {
		c.emitNodes(b, &r.nodes)
	}
	if c.urls[epIndices] != "" {
		b.Emit(d.indicesUp, boolValue(out[epIndices].usable))
		if out[epIndices].usable {
			c.emitIndices(b, clusterName(&r, out), &r.indices)
		}
	}
	if c.urls[epSettings] != "" {
		b.Emit(d.settingsUp, boolValue(out[epSettings].usable))
		if out[epSettings].usable {
			c.emitSettings(b, &r.settings)
		}
	}
	return collector.Partial(errors.Join(errs...))
}

// clusterName returns the cluster name for the per-index series: from GET /
// like the exporter, or else from another answer of the round.
func clusterName(r *responses, out [numEndpoints]outcome) string {
	switch {
	case out[epRoot].usable:
		return r.root.ClusterName
	case out[epHealth].usable:
		return r.health.ClusterName
	case out[epNodes].usable:
		return r.nodes.ClusterName
	}
	return ""
}

// get fetches one endpoint and decodes its JSON body into v. A body whose
// fields partly have unexpected types is usable: those fields stay zero and
// the error says which they were.
func (c *Collector) get(ctx context.Context, ep endpoint, v any) outcome {
	path := c.paths[ep]
	resp, err := httpclient.Get(ctx, c.client, c.urls[ep], "application/json")
	if err != nil {
		return outcome{err: fmt.Errorf("get %s: %w", path, err)}
	}
	defer resp.Body.Close()
	buf, err := httpclient.ReadBody(resp.Body, c.bufs[ep][:0], c.limit)
	c.bufs[ep] = buf
	if err != nil {
		return outcome{err: fmt.Errorf("read body of %s: %w", path, err)}
	}
	if err := json.Unmarshal(buf, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			c.logger.Debug("unexpected field type in elasticsearch response", "path", path, "err", err)
			return outcome{usable: true, err: fmt.Errorf("decode %s: %w", path, err)}
		}
		return outcome{err: fmt.Errorf("decode %s: %w", path, err)}
	}
	return outcome{usable: true}
}
