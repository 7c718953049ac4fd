# callfloor: `make run` serves the demo, `make test` runs every test.
# Both set up what they need first (scripts/setup is idempotent).

GO            ?= go
STATICCHECK   := bin/staticcheck
# The tests reach PostgreSQL here; .ci/run sets it too. Empty skips the
# PostgreSQL half outside CI (inside CI an empty value fails the tests).
CALLFLOOR_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export CALLFLOOR_TEST_POSTGRES
# NATS with JetStream, for the cluster's lease tests (cluster/...); .ci/run
# sets it too, and the same rules hold as for PostgreSQL.
CALLFLOOR_TEST_NATS ?= nats://127.0.0.1:4222
export CALLFLOOR_TEST_NATS

.PHONY: all setup setup-run build run test vet lint fmt-check ui ui-dev unit bench-engine bench-acd bench-sip bench-webrtc bench-relay bench-dialer bench-stream bench-webhooks bench-boards bench-reports bench-cluster clean

all: build

setup:
	@scripts/setup test

setup-run:
	@scripts/setup run

build: setup-run
	$(GO) build -o bin/callfloor ./cmd/callfloor

run: setup-run
	$(GO) run ./cmd/callfloor demo

test: setup fmt-check vet lint ui unit

# The web app (ui/): types from the API's OpenAPI document, type check,
# unit tests, the bundle the Go binary embeds (web/dist) and its size.
# The generated types and the bundle are committed, so `go run` needs no
# Node; this fails when they differ from what the source builds.
ui:
	cd ui && npm run --silent gen >/dev/null && npm run --silent typecheck && npm test --silent && npm run --silent build >/dev/null && npm run --silent size
	@if [ -n "$$(git status --porcelain -- web/dist ui/src/api/schema.d.ts)" ]; then \
		echo "the committed web app is stale: commit web/dist and ui/src/api/schema.d.ts as built:"; \
		git status --short -- web/dist ui/src/api/schema.d.ts; exit 1; fi

# Development: the Vite dev server on 127.0.0.1:5173; run the server with
# --ui-dev http://127.0.0.1:5173 in another shell.
ui-dev:
	cd ui && npm run dev

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

lint:
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

# The floor engine's load benchmark: 10,000 logged-in agents on SQLite, and
# on PostgreSQL too when CALLFLOOR_BENCH_POSTGRES holds its URL.
bench-engine: setup-run
	$(GO) run ./bench/engine -agents 10000 -duration 20s
	@if [ -n "$$CALLFLOOR_BENCH_POSTGRES" ]; then \
		$(GO) run ./bench/engine -agents 10000 -duration 20s -database "$$CALLFLOOR_BENCH_POSTGRES"; fi

# The ACD's routing benchmark: 10,000 logged-in agents in 200 queues on
# SQLite, callers at 200/s, and the time from a caller queued to the
# member's phone rung.
bench-acd: setup-run
	$(GO) run ./bench/acd

# The telephony plane's load benchmark: callfloor serve as its own process,
# sipp phones and a Go RTP generator hold 1000 bridged calls for a minute,
# then the call rate steps up until a call fails (needs sipp).
bench-sip: setup-run
	$(GO) run ./bench/sip

bench-webrtc: setup-run
	$(GO) run ./bench/webrtc

# The RTP relay against its peer: callfloor's relay (its own process) and
# rtpengine in userspace mode relay 1,000 calls from one generator in
# alternating phases, servers pinned to CPU 0 and the generator to CPU 1;
# prints each one's CPU per packet, their ratio, the loss and the added
# jitter. Installs Debian's rtpengine-daemon when missing (not for make
# test) and stops the service the package starts: the bench runs its own.
bench-relay: setup-run
	@if ! command -v rtpengine >/dev/null; then \
		echo "bench-relay: installing rtpengine-daemon"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rtpengine-daemon >/dev/null || exit 1; \
		if [ -d /run/systemd/system ]; then $$SUDO systemctl disable --now rtpengine-daemon >/dev/null 2>&1 || true; fi; \
	fi
	$(GO) run ./bench/relay

# The campaigns' benchmark: a million leads imported from CSV, then the
# next-lead pick for 200 agents timed.
bench-dialer: setup-run
	$(GO) run ./bench/dialer

# The realtime stream's fan-out: callfloor serve as its own process, 500
# supervisor WebSocket streams, agents pausing and unpausing at 5,000 a
# second; the time from an event journaled to the last stream's socket.
bench-stream: setup-run
	$(GO) run ./bench/stream

# The webhooks' delivery: callfloor serve as its own process, agents
# pausing and unpausing at 1,000 journaled events a second for a minute,
# each event to 10 endpoints on loopback, one of them answering 500 to
# every other request; the time from an event journaled to its first
# attempt, the events lost and the duplicate deliveries.
bench-webhooks: setup-run
	$(GO) run ./bench/webhooks -rate 1000 -duration 60s -endpoints 10

# The agents board's smoothness: 500 agents changing state 250 times a
# second under the supervisors' Agents board in headless Chromium; prints
# the frames over 50 ms and how fast a change reaches the board.
bench-boards: setup
	$(GO) run ./bench/boards

# The managers' reports: 10,000,000 calls of 1,000 agents over 100 days
# (the journal and the call history) on SQLite in a temporary directory,
# and on PostgreSQL too when CALLFLOOR_BENCH_POSTGRES holds its URL; a
# day's agent summary, a 30-day disposition report and the projection's
# catch-up timed. The SQLite database takes some 26 GB while it runs.
bench-reports: setup-run
	$(GO) run ./bench/reports
	@if [ -n "$$CALLFLOOR_BENCH_POSTGRES" ]; then \
		$(GO) run ./bench/reports -database "$$CALLFLOOR_BENCH_POSTGRES"; fi

# The cluster mode: three callfloor serve processes on loopback sharing
# PostgreSQL and NATS (CALLFLOOR_TEST_POSTGRES, CALLFLOOR_TEST_NATS), 300
# accounts; the floor changes a second on one node and on three, a
# forwarded command's latency against a direct one, and how long a node
# killed with SIGKILL takes to have its accounts served again (5 kills).
bench-cluster: setup-run
	$(GO) run ./bench/cluster

clean:
	rm -rf bin
