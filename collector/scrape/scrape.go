// Package scrape collects from any endpoint that serves the Prometheus text
// format or OpenMetrics, so that everything that already exports /metrics
// can be watched by pipewatch without an extra agent.
//
// Like a Prometheus scrape, a response that is not 200, is larger than the
// body size limit, or does not parse fails the whole round: the target's up
// becomes 0 and nothing of the partial response is stored.
package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// acceptHeader prefers OpenMetrics and falls back to the classic text format,
// as Prometheus does.
const acceptHeader = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"

// DefaultBodySizeLimit bounds a response body when Options.BodySizeLimit is 0.
const DefaultBodySizeLimit = httpclient.DefaultBodySizeLimit

// Options configure a scrape Collector.
type Options struct {
	// Client performs the requests; nil means a client without
	// authentication or TLS settings. The Manager's timeout applies through
	// the request context.
	Client *http.Client
	// BodySizeLimit is the largest accepted (uncompressed) body in bytes.
	BodySizeLimit int64
}

// Collector scrapes one URL.
type Collector struct {
	url   string
	opts  Options
	buf   []byte
	table *labels.SymbolTable
}

// New returns a Collector for the exposition served at url.
func New(url string, opts Options) *Collector {
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.BodySizeLimit <= 0 {
		opts.BodySizeLimit = DefaultBodySizeLimit
	}
	return &Collector{url: url, opts: opts, table: labels.NewSymbolTable()}
}

// Collect fetches and parses one exposition.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	body, contentType, err := c.fetch(ctx)
	if err != nil {
		return err
	}
	return parse(body, contentType, c.table, b)
}

func (c *Collector) fetch(ctx context.Context) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("User-Agent", "pipewatch")
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("get %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	if err := httpclient.CheckStatus(resp); err != nil {
		return nil, "", fmt.Errorf("get %s: %w", c.url, err)
	}
	buf, err := httpclient.ReadBody(resp.Body, c.buf[:0], c.opts.BodySizeLimit)
	c.buf = buf
	if err != nil {
		return nil, "", fmt.Errorf("read body of %s: %w", c.url, err)
	}
	return buf, resp.Header.Get("Content-Type"), nil
}

// parse adds every float sample of an exposition to b, with the families'
// metadata. Native histograms are not stored yet and are skipped.
func parse(body []byte, contentType string, table *labels.SymbolTable, b *collector.Batch) error {
	p, err := textparse.New(body, contentType, table, textparse.ParserOptions{FallbackContentType: "text/plain"})
	if p == nil {
		return fmt.Errorf("parse exposition: unsupported content type %q: %w", contentType, err)
	}
	meta := map[string]collector.Metadata{}
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("parse exposition: %w", err)
		}
		switch entry {
		case textparse.EntryType:
			name, typ := p.Type()
			md := meta[string(name)]
			md.Type = typ
			meta[string(name)] = md
		case textparse.EntryHelp:
			name, help := p.Help()
			md := meta[string(name)]
			md.Help = string(help)
			meta[string(name)] = md
		case textparse.EntryUnit:
			name, unit := p.Unit()
			md := meta[string(name)]
			md.Unit = string(unit)
			meta[string(name)] = md
		case textparse.EntrySeries:
			_, ts, v := p.Series()
			var lset labels.Labels
			p.Labels(&lset)
			if !lset.Has(model.MetricNameLabel) {
				return errors.New("parse exposition: series without a metric name")
			}
			if ts != nil {
				b.AddAt(lset, *ts, v)
			} else {
				b.Add(lset, v)
			}
		}
	}
	for name, md := range meta {
		if md.Type == "" {
			md.Type = model.MetricTypeUnknown
		}
		b.Describe(name, md)
	}
	return nil
}
