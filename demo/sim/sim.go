package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// Platform is what the simulation reads of the demo platform: its modules
// and their traffic. *demo.Platform implements it. TopicRate must repeat
// every DayLength.
type Platform interface {
	// Modules returns the modules of the demo catalog.
	Modules() []demo.Module
	// DayLength returns the period of the produce rates.
	DayLength() time.Duration
	// TopicRate returns the mean rate, in records per second, at which
	// topic is written elapsed into the run.
	TopicRate(topic string, elapsed time.Duration) float64
	// Partitions returns the number of partitions of topic.
	Partitions(topic string) int
}

// Options configures a Sim.
type Options struct {
	// Platform is the demo platform whose traffic the systems follow; it
	// is required.
	Platform Platform
	// Logger receives the simulation's logs; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Every value served
	// is a function of Now minus the time New was called, so tests move a
	// fake clock instead of sleeping.
	Now func() time.Time
}

// URLs are the base URLs of the simulated systems, each on its own
// listener of 127.0.0.1.
type URLs struct {
	// Elasticsearch is the address of the cluster (any of its nodes).
	Elasticsearch string
	// Flink is the REST API (and web UI) of the Flink JobManager.
	Flink string
	// Spark is the UI of the Spark Streaming application's driver.
	Spark string
	// Storm is the Storm UI.
	Storm string
	// Logstash is the monitoring API of the Logstash node.
	Logstash string
	// KafkaConnect is the REST API of a Kafka Connect worker.
	KafkaConnect string
}

// seed seeds the noise of every simulation, so that the demo looks the same
// at the same time into every run.
const seed = 0x7069706577617463 // "pipewatc"

// Sim serves the simulated systems. Create it with New, which listens, and
// run it once with Run.
type Sim struct {
	log     *slog.Logger
	urls    URLs
	servers []*server

	ran       atomic.Bool
	closeOnce sync.Once
}

// server is one simulated system on its listener.
type server struct {
	name     string
	listener net.Listener
	srv      *http.Server
}

// New builds the simulated systems from the platform's catalog and listens
// for each on a random port of 127.0.0.1; the simulated day starts now
// (the app calls New right before the platform runs). Nothing is served
// until Run. If Run is never called, the caller must Close the Sim.
func New(opts Options) (*Sim, error) {
	if opts.Platform == nil {
		return nil, errors.New("create demo simulation: no platform")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &world{now: opts.Now, start: opts.Now(), traffic: newTraffic(opts.Platform), noise: wanderer{seed: seed}}
	modules := opts.Platform.Modules()

	s := &Sim{log: opts.Logger}
	systems := []struct {
		name  string
		url   *string
		build func() (http.Handler, error)
	}{
		{"elasticsearch", &s.urls.Elasticsearch, func() (http.Handler, error) { return newESCluster(w, modules) }},
		{"flink", &s.urls.Flink, func() (http.Handler, error) { return newFlinkCluster(w, modules) }},
		{"spark", &s.urls.Spark, func() (http.Handler, error) { return newSparkDriver(w, modules) }},
		{"storm", &s.urls.Storm, func() (http.Handler, error) { return newStormUI(w, modules) }},
		{"logstash", &s.urls.Logstash, func() (http.Handler, error) { return newLogstashNode(w, modules) }},
		// The connectors' configuration names the cluster, which listens
		// by now.
		{"kafka_connect", &s.urls.KafkaConnect, func() (http.Handler, error) { return newConnectWorker(w, modules, s.urls.Elasticsearch) }},
	}
	for _, sys := range systems {
		h, err := sys.build()
		if err == nil {
			err = s.listen(sys.name, h, sys.url)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("create simulated %s: %w", sys.name, err)
		}
	}
	s.log.Info("demo systems simulated", "elasticsearch", s.urls.Elasticsearch, "flink", s.urls.Flink,
		"spark", s.urls.Spark, "storm", s.urls.Storm, "logstash", s.urls.Logstash,
		"kafka_connect", s.urls.KafkaConnect)
	return s, nil
}

// listen opens the listener of one system and records its URL.
func (s *Sim) listen(name string, h http.Handler, url *string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errLog := slog.NewLogLogger(s.log.With("system", name).Handler(), slog.LevelDebug)
	s.servers = append(s.servers, &server{
		name:     name,
		listener: l,
		srv:      &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog},
	})
	*url = "http://" + l.Addr().String()
	return nil
}

// URLs returns the base URLs of the simulated systems. They are valid from
// New until Run returns (or Close).
func (s *Sim) URLs() URLs { return s.urls }

// Run serves every simulated system until ctx is cancelled, then closes
// the listeners and connections and returns nil. It returns an error if a server fails,
// after closing the others, and if called more than once.
func (s *Sim) Run(ctx context.Context) error {
	if s.ran.Swap(true) {
		return errors.New("demo simulation: run called more than once")
	}
	defer s.Close()
	errc := make(chan error, len(s.servers))
	for _, sv := range s.servers {
		go func() {
			if err := sv.srv.Serve(sv.listener); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve simulated %s: %w", sv.name, err)
				return
			}
			errc <- nil
		}()
	}
	var err error
	pending := len(s.servers)
	select {
	case <-ctx.Done():
	case err = <-errc:
		pending--
	}
	// Requests take microseconds and collectors retry next round, so the
	// servers close at once rather than wait for idle keep-alive
	// connections.
	for _, sv := range s.servers {
		_ = sv.srv.Close()
	}
	for range pending {
		err = errors.Join(err, <-errc)
	}
	return err
}

// Close closes the listeners and servers. Run closes the Sim itself; Close
// is for a Sim whose Run was never called. It is safe to call more than
// once and after Run.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		for _, sv := range s.servers {
			_ = sv.srv.Close()
			_ = sv.listener.Close()
		}
	})
}

// writeJSON writes a rendered JSON document.
func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(body)
}
