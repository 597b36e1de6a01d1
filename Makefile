# Parley: build, run and test. `make run` starts the server with the
# built-in defaults; `make test` installs what the tests need and runs them.

GO       ?= go
BIN      := bin/parley
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
TIMEOUT  ?= 15m
WEB_STAMP := web/bundle/VERSION

.PHONY: all build run web test test-deps bench load fmt vet clean

all: build

build: $(WEB_STAMP)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/parley

# The bundled web client (Converse.js, pinned by web/package-lock.json) is
# copied into web/bundle/ and embedded in the binary. Without npm the
# server is built without it and / says how to include it.
$(WEB_STAMP): web/package.json web/package-lock.json web/build.sh
	@if command -v npm >/dev/null 2>&1; then ./web/build.sh; \
	else echo "npm not found: building without the web client (make web to include it)"; fi

web:
	./web/build.sh

run: build
	./$(BIN) serve

# test-deps installs missing system packages (PostgreSQL for the storage
# tests) when running as root; see scripts/test-deps.sh.
test-deps:
	./scripts/test-deps.sh

test: test-deps $(WEB_STAMP)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TIMEOUT) ./...

# Benchmarks print in benchstat's format: `make bench > new.txt`, then
# `benchstat old.txt new.txt` compares two revisions.
BENCHCOUNT ?= 6
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./...

# load runs the load tool's short default scenario against a server it
# starts itself on loopback (see docs/performance.md).
load: build
	$(GO) build -o bin/load ./test/load
	./bin/load -selfhost $(BIN)

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

clean:
	rm -rf bin web/node_modules test/web/node_modules
	find web/bundle -mindepth 1 ! -name README.txt -delete
