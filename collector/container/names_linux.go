//go:build linux

package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"time"

	"github.com/google/cadvisor/lib/container/containerd"
)

const (
	// dockerNamespace and containerdNamespace are cAdvisor's namespaces of
	// container aliases.
	dockerNamespace     = "docker"
	containerdNamespace = "containerd"
	// maxDockerBody bounds the Docker container list.
	maxDockerBody = 10 << 20
	// namingTimeout bounds one naming pass.
	namingTimeout = 5 * time.Second
	// renameAfter is how long a container ID unknown to every runtime
	// waits before it is looked up again.
	renameAfter = 5 * time.Minute
)

// namer gives cgroups of Docker and containerd containers their names,
// images and labels, when the runtimes' sockets exist.
type namer struct {
	dockerSocket     string
	containerdSocket string
	containerdNS     string
	storeLabels      bool
	docker           *http.Client
	// ctrd is the containerd client once connected; cAdvisor's client is
	// process-wide and connects once (see newNamer).
	ctrd containerd.ContainerdClient
	// timeout bounds one naming pass.
	timeout time.Duration
}

// newNamer returns the namer for cfg. Docker is reached over its socket
// with a plain HTTP client (the Engine API is local and unauthenticated,
// so the HTTP client configuration of remote targets does not apply);
// containerd with cAdvisor's client, which dials once per process: the
// first address it is given wins, and if that first dial fails, containerd
// names stay off until pipewatch restarts.
func newNamer(cfg *Config) *namer {
	n := &namer{
		dockerSocket:     cfg.DockerSocket,
		containerdSocket: cfg.ContainerdSocket,
		containerdNS:     cfg.ContainerdNamespace,
		storeLabels:      cfg.StoreContainerLabels,
		timeout:          namingTimeout,
	}
	if n.dockerSocket != "" {
		sock := n.dockerSocket
		n.docker = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
			DisableCompression: true,
			MaxIdleConns:       1,
			IdleConnTimeout:    time.Minute,
		}}
	}
	return n
}

// containerID returns the 64-hex container ID in the last element of a
// cgroup name ("/docker/<id>", "/system.slice/docker-<id>.scope",
// ".../cri-containerd-<id>.scope"), or "".
func containerID(name string) string {
	base := path.Base(name)
	run := 0
	for i := 0; i < len(base); i++ {
		c := base[i]
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') {
			run++
			continue
		}
		if run == 64 {
			return base[i-64 : i]
		}
		run = 0
	}
	if run == 64 {
		return base[len(base)-64:]
	}
	return ""
}

// runtimeMeta is what a runtime tells about a container.
type runtimeMeta struct {
	namespace string
	aliases   []string
	image     string
	labels    map[string]string
}

// resolve names the cgroups that hold a container ID and were not named
// yet (or whose ID no runtime knew some minutes ago). When no runtime
// socket exists it does nothing.
func (n *namer) resolve(ctx context.Context, cgroups map[string]*cgroup) error {
	if n == nil {
		return nil
	}
	now := time.Now()
	pending := map[string][]*cgroup{}
	for name, cg := range cgroups {
		if cg.runtime || (cg.named && now.Sub(cg.namedAt) < renameAfter) {
			continue
		}
		if id := containerID(name); id != "" {
			pending[id] = append(pending[id], cg)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	found := map[string]runtimeMeta{}
	var errs []error
	if n.docker != nil && socketExists(n.dockerSocket) {
		if err := n.dockerContainers(ctx, found); err != nil {
			errs = append(errs, err)
		}
	}
	if n.containerdSocket != "" && socketExists(n.containerdSocket) {
		if err := n.containerdContainers(ctx, pending, found); err != nil {
			errs = append(errs, err)
		}
	}
	for id, cgs := range pending {
		m, ok := found[id]
		for _, cg := range cgs {
			cg.named, cg.namedAt = true, now
			if !ok {
				continue
			}
			cg.runtime = true
			cg.ref.Id = id
			cg.ref.Namespace = m.namespace
			cg.ref.Aliases = m.aliases
			cg.spec.Image = m.image
			if n.storeLabels {
				cg.spec.Labels = m.labels
			}
		}
	}
	return errors.Join(errs...)
}

func socketExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&os.ModeSocket != 0
}

// dockerContainers lists the running Docker containers (GET
// /containers/json of the Engine API) into found, with cAdvisor's aliases
// for them: the container name, then the ID.
func (n *namer) dockerContainers(ctx context.Context, found map[string]runtimeMeta) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/containers/json", nil)
	if err != nil {
		return fmt.Errorf("list docker containers: %w", err)
	}
	resp, err := n.docker.Do(req)
	if err != nil {
		return fmt.Errorf("list docker containers: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("list docker containers: server returned HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDockerBody+1))
	if err != nil {
		return fmt.Errorf("list docker containers: read body: %w", err)
	}
	if len(body) > maxDockerBody {
		return fmt.Errorf("list docker containers: body exceeds the limit of %d bytes", maxDockerBody)
	}
	var list []struct {
		ID     string            `json:"Id"`
		Names  []string          `json:"Names"`
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("list docker containers: decode: %w", err)
	}
	for _, c := range list {
		if len(c.ID) != 64 {
			continue
		}
		name := ""
		if len(c.Names) > 0 {
			name = c.Names[0]
			if len(name) > 0 && name[0] == '/' {
				name = name[1:]
			}
		}
		found[c.ID] = runtimeMeta{namespace: dockerNamespace, aliases: []string{name, c.ID}, image: c.Image, labels: c.Labels}
	}
	return nil
}

// containerdContainers looks the pending IDs that Docker did not know up in
// containerd, with cAdvisor's aliases for them: the ID, then the cgroup
// name.
func (n *namer) containerdContainers(ctx context.Context, pending map[string][]*cgroup, found map[string]runtimeMeta) error {
	if n.ctrd == nil {
		c, err := containerd.Client(n.containerdSocket, n.containerdNS)
		if err != nil {
			return fmt.Errorf("connect to containerd: %w", err)
		}
		n.ctrd = c
	}
	for id, cgs := range pending {
		if _, ok := found[id]; ok {
			continue
		}
		c, err := n.ctrd.LoadContainer(ctx, id)
		if errors.Is(err, containerd.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("look up containerd container %s: %w", id, err)
		}
		found[id] = runtimeMeta{namespace: containerdNamespace, aliases: []string{id, cgs[0].ref.Name}, image: c.Image, labels: c.Labels}
	}
	return nil
}
