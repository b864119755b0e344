# pipewatch — build, run and test. See README.md.

GO        ?= go
BIN       := bin/pipewatch
PKG       := github.com/pipewatch/pipewatch
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X main.version=$(VERSION) -X main.revision=$(REVISION) -X main.branch=$(BRANCH)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Debian packages the integration tests run against (reference Prometheus,
# Alertmanager, elasticsearch_exporter) and the browser of the UI tests.
TEST_DEBS := prometheus prometheus-alertmanager prometheus-elasticsearch-exporter chromium
# The UI's locked npm packages (dagre for its unit tests, playwright-core to
# drive chromium); npm ci downloads no browser.
UI_MODULES := ui/web/node_modules/.package-lock.json

.PHONY: all build run test test-deps lint bench clean ui

all: build

## build: compile bin/pipewatch
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/pipewatch

## run: build and start pipewatch with the embedded demo platform on :9470
run: build
	./$(BIN) --demo --storage.tsdb.path=data/

## test: lint, then every unit and integration test
test: test-deps lint
	$(GO) test -count=1 -timeout 25m ./...

## test-deps: install the Debian packages and npm modules the tests use, if missing
test-deps: $(UI_MODULES)
	@missing=""; \
	command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	command -v prometheus-elasticsearch-exporter >/dev/null 2>&1 || missing="$$missing prometheus-elasticsearch-exporter"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing test dependencies:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(TEST_DEBS) >/dev/null; \
	fi

$(UI_MODULES): ui/web/package-lock.json
	npm --prefix ui/web ci --ignore-scripts --no-audit --no-fund --loglevel=error

## ui: rebuild the web UI's committed assets (ui/dist) from ui/web/src
ui: $(UI_MODULES)
	npm --prefix ui/web run build

## lint: formatting, go vet, staticcheck, and the package layering rules
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: run the benchmark programs; each prints its figures
bench: build
	$(GO) run ./bench/ingest
	$(GO) run ./bench/queryrange
	$(GO) run ./bench/walreplay
	$(GO) run ./bench/elasticsearch
	$(GO) run ./bench/kafka
	$(GO) run ./bench/container
	$(GO) run ./bench/forecast
	$(GO) run ./bench/rules
	$(GO) run ./bench/e2elatency
	$(GO) run ./bench/topology
	$(GO) run ./bench/ui

clean:
	rm -rf bin test-artifacts
