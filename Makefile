# feedmill — `make run` starts the daemon on examples/feedmill.yaml,
# `make test` runs every test (installing the client checkers it needs).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/feedmill
CONFIG    ?= examples/feedmill.yaml
# Debian packages the client checks use: python3-feedparser (the Universal
# Feed Parser reads what we serve; bozo must be 0).
DEB_PKGS  := python3-feedparser
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-go deps mod bench lint fmt clean

all: build

mod:
	$(GO) mod download

build: mod
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/feedmill

run: build
	./$(BIN) serve -c $(CONFIG)

# deps installs what the tests run besides Go: Debian packages for the
# real-client checks. It only calls apt-get when something is missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: deps mod lint
	$(GO) test -race -count=1 -timeout 15m ./...

bench: deps mod
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
