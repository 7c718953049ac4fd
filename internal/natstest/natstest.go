// Package natstest connects tests to the NATS server with JetStream at
// CALLFLOOR_TEST_NATS (set by the Makefile and .ci/run). Without the
// variable a test is skipped, except under CI, where it fails.
package natstest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// URL returns the test NATS's URL, or skips t (fails it under CI).
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CALLFLOOR_TEST_NATS")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CALLFLOOR_TEST_NATS is not set: CI must run the NATS tests")
		}
		t.Skip("CALLFLOOR_TEST_NATS is not set (e.g. nats://127.0.0.1:4222): skipping the NATS tests")
	}
	return u
}

// Conn connects under name (core NATS only) and closes the connection
// when t ends.
func Conn(t testing.TB, name string) *nats.Conn {
	t.Helper()
	u := URL(t)
	nc, err := nats.Connect(u, nats.Name(name), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("NATS at %s: %v", u, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// JetStream connects under name, checks that JetStream answers, and
// closes the connection when t ends.
func JetStream(t testing.TB, name string) jetstream.JetStream {
	t.Helper()
	nc := Conn(t, name)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("JetStream at %s: %v", nc.ConnectedUrl(), err)
	}
	return js
}
