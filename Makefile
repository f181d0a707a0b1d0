# Portcullis — build, run, test, benchmark. See README.md.
SHELL := /usr/bin/env bash
BIN   := .build

.PHONY: all build run test bench fuzz vet fmt-check clean

all: build

build:
	@mkdir -p $(BIN)
	go build -o $(BIN)/caddy ./cmd/caddy
	go build -o $(BIN)/secretsd ./cmd/secretsd
	go build -o $(BIN)/portcullis ./cmd/portcullis

## run: secretsd and the gateway (./Caddyfile) in front of the bundled demo upstream, embedded defaults (SQLite, no Redis).
run:
	@scripts/run.sh

## test: the whole suite, with real Redis, PostgreSQL, SQLite and the real Caddy and secretsd binaries.
test:
	@scripts/test.sh

## bench: bare reverse_proxy vs the full chain under wrk, secretsd's logins and refreshes, and the Go benchmarks.
bench:
	@scripts/bench.sh

## fuzz: each fuzz target for a short while (FUZZTIME=30s by default).
fuzz:
	@scripts/fuzz.sh

vet:
	go vet ./...

fmt-check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

clean:
	rm -rf $(BIN) .run
