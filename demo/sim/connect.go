package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Kafka Connect cluster runs an Elasticsearch sink connector
// for each of the demo's live groups in connectGroups found in the
// catalog, named after the group and consuming as it
// (consumer.override.group.id), on two workers. Each connector reads its
// module's topics into the simulated cluster's daily indices, "<prefix>-
// <yyyy.MM.dd>" after the module's "es:<prefix>-*" sink.
//
// While the cluster rejects writes (see traffic), the first connector's
// task 1 has exhausted its retries of rejected bulk requests and is
// FAILED with the captured es_rejected_execution_exception trace; once
// the cluster accepts writes again it is RUNNING, as a restart policy
// (the operators' script calling the REST API's restart endpoint) brings
// it back.
var connectGroups = []string{"train-ticket-es-indexer", "cs-chat-es-indexer"}

const (
	// connectTasks is each connector's tasks.max and number of tasks.
	connectTasks = 2
	// connectFailingTask is the task of the first connector that fails
	// while the cluster rejects writes.
	connectFailingTask = 1
	// connectSinkModel is the fixture's connector the simulated ones are
	// made from: an Elasticsearch sink whose task 1 failed.
	connectSinkModel = "es-sink-logs"
)

// connectWorkers are the cluster's workers, as their REST API's worker_id.
var connectWorkers = []string{"connect-demo-1:8083", "connect-demo-2:8083"}

// connectWorker serves a worker's REST API.
type connectWorker struct {
	w          *world
	connectors []connectConnector
	// running and failing are GET /connectors?expand=status&expand=info
	// with every task RUNNING, and with the failing task FAILED.
	running, failing []byte
	names            []byte // GET /connectors
}

// connectConnector is one simulated connector.
type connectConnector struct {
	name       string
	topics     []string
	topicsBody []byte // GET /connectors/:name/topics
}

func newConnectWorker(w *world, modules []demo.Module, esURL string) (*connectWorker, error) {
	cw := &connectWorker{w: w}
	type spec struct {
		name   string
		module demo.Module
	}
	var specs []spec
	for _, g := range connectGroups {
		for _, m := range modules {
			if slices.Contains(m.Groups, g) {
				specs = append(specs, spec{g, m})
				cw.connectors = append(cw.connectors, connectConnector{name: g, topics: slices.Sorted(slices.Values(m.Topics))})
				break
			}
		}
	}
	for i := range cw.connectors {
		c := &cw.connectors[i]
		var err error
		if c.topicsBody, err = staticJSON(&doc[struct{}]{root: map[string]any{c.name: map[string]any{"topics": c.topics}}}); err != nil {
			return nil, err
		}
	}
	names := []string{}
	for _, c := range cw.connectors {
		names = append(names, c.name)
	}
	var err error
	if cw.names, err = staticJSON(&doc[struct{}]{root: names}); err != nil {
		return nil, err
	}
	for _, failing := range []bool{false, true} {
		d, err := loadDoc[struct{}]("kafka-connect/connectors_expanded.SYNTHETIC.json")
		if err != nil {
			return nil, err
		}
		model := d.get(connectSinkModel)
		trace := d.get(connectSinkModel + ".status.tasks.1.trace")
		if trace == nil {
			return nil, fmt.Errorf("kafka-connect fixture: no failed task in %s", connectSinkModel)
		}
		root := map[string]any{}
		for i, s := range specs {
			e := &doc[struct{}]{root: clone(model)}
			e.set("status.name", s.name)
			e.set("status.connector.worker_id", connectWorkers[i%len(connectWorkers)])
			var tasks, infoTasks []any
			for id := range connectTasks {
				t := map[string]any{"id": id, "state": "RUNNING", "worker_id": connectWorkers[(i+id)%len(connectWorkers)]}
				if failing && i == 0 && id == connectFailingTask {
					t["state"], t["trace"] = "FAILED", trace
				}
				tasks = append(tasks, t)
				infoTasks = append(infoTasks, map[string]any{"connector": s.name, "task": id})
			}
			e.set("status.tasks", tasks)
			e.set("info.name", s.name)
			e.set("info.tasks", infoTasks)
			e.set("info.config", connectSinkConfig(s.name, s.module, esURL))
			if e.err != nil {
				return nil, fmt.Errorf("kafka-connect fixture: %w", e.err)
			}
			root[s.name] = e.root
		}
		d.set("", root)
		body, err := staticJSON(d)
		if err != nil {
			return nil, err
		}
		if failing {
			cw.failing = body
		} else {
			cw.running = body
		}
	}
	return cw, nil
}

// connectSinkConfig is the configuration of the Elasticsearch sink
// connector name reading m's topics: records become documents of the
// daily index of m's first "es:" sink.
func connectSinkConfig(name string, m demo.Module, esURL string) map[string]any {
	prefix := name
	for _, s := range m.Sinks {
		if p, ok := strings.CutPrefix(s, "es:"); ok {
			prefix = strings.TrimSuffix(strings.TrimSuffix(p, "*"), "-")
			break
		}
	}
	return map[string]any{
		"name":                              name,
		"connector.class":                   "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
		"tasks.max":                         fmt.Sprint(connectTasks),
		"topics":                            strings.Join(m.Topics, ","),
		"connection.url":                    esURL,
		"consumer.override.group.id":        name,
		"key.ignore":                        "true",
		"schema.ignore":                     "true",
		"behavior.on.malformed.documents":   "warn",
		"max.retries":                       "5",
		"transforms":                        "daily",
		"transforms.daily.type":             "org.apache.kafka.connect.transforms.TimestampRouter",
		"transforms.daily.topic.format":     prefix + "-${timestamp}",
		"transforms.daily.timestamp.format": "yyyy.MM.dd",
	}
}

// ServeHTTP answers the requests of the kafka_connect collector: the
// expanded connector listing and each connector's active topics
// (KIP-558), and the plain listing of names.
func (cw *connectWorker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if r.URL.Path == "/connectors" {
		if r.URL.Query()["expand"] == nil {
			writeJSON(w, cw.names)
			return
		}
		writeJSON(w, cw.listing(cw.w.moment()))
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/connectors/"); ok {
		if name, ok := strings.CutSuffix(name, "/topics"); ok {
			for _, c := range cw.connectors {
				if c.name == name {
					writeJSON(w, c.topicsBody)
					return
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, `{"error_code":404,"message":"Connector %s not found"}`, strings.ReplaceAll(name, `"`, ""))
			return
		}
	}
	http.NotFound(w, r)
}

// listing is the expanded listing at moment m: the failing task is FAILED
// while the Elasticsearch cluster rejects writes.
func (cw *connectWorker) listing(m moment) []byte {
	if cw.failed(m) {
		return cw.failing
	}
	return cw.running
}

// failed reports whether the failing task is FAILED at m.
func (cw *connectWorker) failed(m moment) bool {
	return overload(cw.w.traffic.esLoad(m.elapsed)) > 0
}
