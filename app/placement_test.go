package app

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/storage"
	"github.com/pipewatch/pipewatch/topology"
)

func TestAlertsGetTheirPlaceInThePipeline(t *testing.T) {
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	app := st.Appender(context.Background())
	now := time.Now().UnixMilli()
	for _, l := range []labels.Labels{
		labels.FromStrings("__name__", "kafka_consumergroup_current_offset", "cluster", "prod", "consumergroup", "hotdog-ctr", "topic", "hotdog-clicks", "partition", "0"),
		labels.FromStrings("__name__", "kafka_consumergroup_current_offset_sum", "cluster", "prod", "consumergroup", "hotdog-ctr", "topic", "hotdog-clicks"),
		labels.FromStrings("__name__", "kafka_topic_partitions", "cluster", "prod", "topic", "orders-events"),
	} {
		if _, err := app.Append(0, l, now, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	b := topology.NewBuilder(topology.Options{
		Query: api.TopologyQuery(api.NewEngine(nil, nil), st.Queryable()),
		Modules: func() []topology.Module {
			return []topology.Module{{Name: "hotdog", Topics: []string{"hotdog-clicks"}}}
		},
	})
	ext, _ := url.Parse("http://pipewatch.example:9470")
	alerts := []alert.Alert{
		{Labels: labels.FromStrings("alertname", "KafkaConsumerGroupStalled", "consumergroup", "hotdog-ctr")},
		{Labels: labels.FromStrings("alertname", "TopicIdle", "topic", "orders-events")},
		{Labels: labels.FromStrings("alertname", "PipewatchTargetDown", "job", "kafka/prod")},
	}
	newPlacer(b, ext).place(context.Background(), alerts)

	for i, want := range []struct{ module, hop, link string }{
		{"hotdog", "group:prod/hotdog-ctr", "http://pipewatch.example:9470/#/module/hotdog"},
		{"orders", "topic:prod/orders-events", "http://pipewatch.example:9470/#/module/orders"},
		{"", "", ""},
	} {
		a := alerts[i]
		if a.Labels.Get("module") != want.module || a.Labels.Get("hop") != want.hop || a.Annotations.Get("module_url") != want.link {
			t.Errorf("alert %s: module %q hop %q link %q, want %+v", a.Labels.Get("alertname"),
				a.Labels.Get("module"), a.Labels.Get("hop"), a.Annotations.Get("module_url"), want)
		}
	}
}
