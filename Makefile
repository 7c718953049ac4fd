# callfloor: `make run` serves the demo, `make test` runs every test.
# Both set up what they need first (scripts/setup is idempotent).

GO            ?= go
STATICCHECK   := bin/staticcheck
# The tests reach PostgreSQL here; .ci/run sets it too. Empty skips the
# PostgreSQL half outside CI (inside CI an empty value fails the tests).
CALLFLOOR_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export CALLFLOOR_TEST_POSTGRES

.PHONY: all setup setup-run build run test vet lint fmt-check unit bench-engine bench-acd bench-sip clean

all: build

setup:
	@scripts/setup test

setup-run:
	@scripts/setup run

build: setup-run
	$(GO) build -o bin/callfloor ./cmd/callfloor

run: setup-run
	$(GO) run ./cmd/callfloor demo

test: setup fmt-check vet lint unit

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

clean:
	rm -rf bin
