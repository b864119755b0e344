//go:build linux

package container

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/container/cgrouptest"
)

const (
	dockerKnown   = "3f4e8c1b9a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
	dockerUnknown = "0000000000000000000000000000000000000000000000000000000000000abc"
)

// serveDocker serves handler on a unix socket in a temporary directory,
// like the Docker Engine on /var/run/docker.sock, and returns its path.
func serveDocker(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := &http.Server{Handler: handler}
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return sock
}

func TestContainerID(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"/docker/" + dockerKnown, dockerKnown},
		{"/system.slice/docker-" + dockerKnown + ".scope", dockerKnown},
		{"/kubepods/burstable/pod1/cri-containerd-" + dockerKnown + ".scope", dockerKnown},
		{"/system.slice/sshd.service", ""},
		{"/", ""},
		{"/x/" + dockerKnown[:63], ""},
		{"/x/" + dockerKnown + "0", ""},
	} {
		if got := containerID(tc.name); got != tc.want {
			t.Errorf("containerID(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDockerNames(t *testing.T) {
	listing, err := os.ReadFile("testdata/docker-containers.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := syntheticV1(t, cgrouptest.Options{Leaves: 1, DockerIDs: []string{dockerKnown, dockerUnknown}})
	known := "/system.slice/docker-" + dockerKnown + ".scope"
	unknown := "/system.slice/docker-" + dockerUnknown + ".scope"
	serveListing := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/containers/json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(listing)
	}
	for _, tc := range []struct {
		name        string
		handler     http.HandlerFunc
		noSocket    bool
		dockerOnly  bool
		storeLabels bool
		// want are the labels of the known container's memory usage
		// series; wantIDs the cgroups collected.
		want    string
		wantIDs []string
		partial string
	}{
		{name: "named", handler: serveListing, storeLabels: true,
			want: `{__name__="container_memory_usage_bytes", container_label_com_docker_compose_project="shop", container_label_com_docker_compose_service="web", container_label_maintainer="NGINX Docker Maintainers", id="` + known + `", image="nginx:1.27", name="web-1"}`},
		{name: "without container labels", handler: serveListing,
			want: `{__name__="container_memory_usage_bytes", id="` + known + `", image="nginx:1.27", name="web-1"}`},
		{name: "docker only", handler: serveListing, dockerOnly: true,
			want:    `{__name__="container_memory_usage_bytes", id="` + known + `", image="nginx:1.27", name="web-1"}`,
			wantIDs: []string{"/", known}},
		{name: "no socket", noSocket: true,
			want: `{__name__="container_memory_usage_bytes", id="` + known + `"}`},
		{name: "server error", handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"message":"internal"}`, http.StatusInternalServerError)
		}, want: `{__name__="container_memory_usage_bytes", id="` + known + `"}`, partial: "list docker containers: server returned HTTP status 500"},
		{name: "malformed json", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`[{"Id": 12}`))
		}, want: `{__name__="container_memory_usage_bytes", id="` + known + `"}`, partial: "list docker containers: decode"},
		{name: "oversized body", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte(" "), maxDockerBody+1))
		}, want: `{__name__="container_memory_usage_bytes", id="` + known + `"}`, partial: "body exceeds the limit"},
		{name: "hanging server", handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, want: `{__name__="container_memory_usage_bytes", id="` + known + `"}`, partial: "context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(dir)
			cfg.DockerOnly = tc.dockerOnly
			cfg.StoreContainerLabels = tc.storeLabels
			cfg.DockerSocket = filepath.Join(t.TempDir(), "absent.sock")
			if !tc.noSocket {
				cfg.DockerSocket = serveDocker(t, tc.handler)
			}
			c, err := newCollector(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			hk, err := newHousekeeper(cfg, c, testHost())
			if err != nil {
				t.Fatal(err)
			}
			hk.names.timeout = 200 * time.Millisecond
			c.publish(hk.round(t.Context()))
			b := collector.NewBatch()
			err = c.Collect(t.Context(), b)
			switch {
			case tc.partial == "" && err != nil:
				t.Fatal(err)
			case tc.partial != "" && (!collector.IsPartial(err) || !strings.Contains(err.Error(), tc.partial)):
				t.Fatalf("error = %v, want partial %q", err, tc.partial)
			}
			var got []string
			var unknownLabels labels.Labels
			b.Each(func(l labels.Labels, _ int64, _ float64) {
				if l.Get(model.MetricNameLabel) != "container_memory_usage_bytes" {
					return
				}
				switch l.Get("id") {
				case known:
					got = append(got, l.String())
				case unknown:
					unknownLabels = l
				}
			})
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("known container: %v\nwant %s", got, tc.want)
			}
			if !tc.dockerOnly && unknownLabels.Len() != 2 {
				t.Errorf("container unknown to docker: %s", unknownLabels)
			}
			if tc.wantIDs != nil {
				if ids := ids(b); !slices.Equal(ids, tc.wantIDs) {
					t.Errorf("ids = %v, want %v", ids, tc.wantIDs)
				}
			}
		})
	}
}

// TestSocketMustBeASocket: a regular file where the socket should be is
// treated as no runtime (no request, no error).
func TestSocketMustBeASocket(t *testing.T) {
	f := filepath.Join(t.TempDir(), "docker.sock")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if socketExists(f) {
		t.Fatal("a regular file counts as a socket")
	}
	n := newNamer(&Config{DockerSocket: f})
	cgs := map[string]*cgroup{"/docker/" + dockerKnown: {}}
	if err := n.resolve(t.Context(), cgs); err != nil {
		t.Fatal(err)
	}
	if cgs["/docker/"+dockerKnown].runtime {
		t.Fatal("named without a runtime")
	}
	var nilNamer *namer
	if err := nilNamer.resolve(t.Context(), cgs); err != nil {
		t.Fatal(err)
	}
}
