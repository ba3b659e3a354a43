# feedmill — `make run` starts the daemon on examples/feedmill.yaml,
# `make test` runs every test (installing the client checkers it needs).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/feedmill
CONFIG    ?= examples/feedmill.yaml
# Debian packages the client checks use: python3-feedparser (the Universal
# Feed Parser reads what we serve; bozo must be 0), newsboat and sqlite3 (a
# real reader's cache must hold every item), libxml2-utils (xmllint:
# well-formed RSS/Atom/OPML), chromium (the HTML pages in a headless browser),
# and what the W3C Feed Validator in ../shared/tools/feedvalidator needs
# (python3-html5lib, python3-libxml2, python3-rdflib, python3-lxml).
DEB_PKGS  := python3-feedparser newsboat sqlite3 libxml2-utils chromium \
	python3-html5lib python3-libxml2 python3-rdflib python3-lxml
# npm packages (pinned in tools/package-lock.json) installed into .tools:
# jsonfeed-schema and ajv-cli check the JSON Feed output.
TOOLS     := .tools
# Debian packages `make bench` measures against: nginx-light serves the
# same bytes as feedmill as a static file, wrk loads both.
BENCH_PKGS := nginx-light wrk
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# install-debs installs those of the Debian packages $(1) that are missing
# (apt-get runs only then).
define install-debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: all build run test test-go deps mod bench bench-deps bench-load soak fuzz lint fmt clean

all: build

mod:
	$(GO) mod download

build: mod
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/feedmill

run: build
	./$(BIN) serve -c $(CONFIG)

# deps installs what the tests run besides Go: Debian packages for the
# real-client checks and PostgreSQL's server binaries. It only calls apt-get when something is missing.
deps:
	$(call install-debs,$(DEB_PKGS))
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "installing postgresql (storage/postgres tests start their own cluster)"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql; }
	@command -v npm >/dev/null 2>&1 || { echo "installing npm"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	@if ! cmp -s tools/package-lock.json $(TOOLS)/package-lock.json || [ ! -x $(TOOLS)/node_modules/.bin/ajv ]; then \
		echo "installing npm tools into $(TOOLS)"; mkdir -p $(TOOLS) && cp tools/package.json tools/package-lock.json $(TOOLS)/ && \
		npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error; \
	fi

test: deps mod lint
	$(GO) test -race -count=1 -timeout 15m ./...

# bench runs cmd/feedbench: the go test -bench figures and the whole-process
# ones (bin/feedmill against loopback upstreams, nginx and wrk), printed as
# one table and written to docs/BENCHMARKS.md, then the soak (below). About
# 18 minutes on 2 cores.
# BENCH_QUICK=1: a one-minute smoke run (reduced sizes, table printed only).
bench: bench-deps build
	$(GO) build -o bin/feedbench ./cmd/feedbench
	./bin/feedbench -feedmill $(BIN)
	$(MAKE) bench-load
	$(MAKE) soak

# soak runs `feedmill serve` under a steady load (new items every
# generation, retention at work, ~20 reads/s over channel pages) for
# BENCH_SOAK (default 2m30s, scaled down; from 20m on at issue 21's full
# size: BENCH_SOAK=30m make soak), sampling its memory every 5 s. It fails
# when RssAnon grows after warm-up or exceeds the cache budget + overhead;
# the samples go to docs/BENCHMARKS.md and docs/soak.svg.
BENCH_SOAK ?= 2m30s
soak: build
	$(GO) build -o bin/feedbench ./cmd/feedbench
	./bin/feedbench soak -feedmill $(BIN) -duration $(BENCH_SOAK)

# bench-load: 64 clients read the channels while passes ingest
# (FEEDMILL_LOAD_DURATION, default 30s; errors fail it; req/s, p50, p99),
# and the memory it takes to refuse a 1 GB gzip bomb.
bench-load:
	$(GO) test -run '^$$' -bench '^BenchmarkServeUnderLoad$$' -benchtime 1x -timeout 10m ./cmd/feedmill/
	$(GO) test -run '^$$' -bench '^BenchmarkRefuseBomb$$' -benchtime 3x ./fetcher/

# fuzz runs every fuzz target for FUZZTIME each (go test -fuzz takes one
# target per run). `make test` runs their seed corpora.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./fetcher/:FuzzParseNormalize ./fetcher/urlclean/:FuzzCanonical ./fetcher/parse/:FuzzLiftCDATA \
	./fetcher/normalize/:FuzzSanitize ./fetcher/sanitize/:FuzzHTML \
	./cmd/feedmill/:FuzzLoadConfig ./feedserver/:FuzzHandlerPath ./internal/urlpolicy/:FuzzClean ./fetcher/normalize/:FuzzTruncate ./feedserver/render/:FuzzQuickURLs
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

bench-deps:
	$(call install-debs,$(BENCH_PKGS))

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
