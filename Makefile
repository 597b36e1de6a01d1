# Parley: build, run and test. `make run` starts the server with the
# built-in defaults; `make test` installs what the tests need and runs them.

GO       ?= go
BIN      := bin/parley
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
TIMEOUT  ?= 15m

.PHONY: all build run test test-deps bench fmt vet clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/parley

run: build
	./$(BIN) serve

# test-deps installs missing system packages (PostgreSQL for the storage
# tests) when running as root; see scripts/test-deps.sh.
test-deps:
	./scripts/test-deps.sh

test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TIMEOUT) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
