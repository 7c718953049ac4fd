package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestPoolPragmas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "callfloor.db")
	writer, err := openPool(ctx, path, 1, "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := openPool(ctx, path, readers, "foreign_keys(1)", "query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"reader", "foreign_keys", "1"},
		{"reader", "query_only", "1"},
	}
	for _, tc := range tests {
		db := writer
		if tc.pool == "reader" {
			db = reader
		}
		var got string
		if err := db.QueryRow(`PRAGMA ` + tc.pragma).Scan(&got); err != nil || got != tc.want {
			t.Errorf("%s: %s = %q (%v), want %q", tc.pool, tc.pragma, got, err, tc.want)
		}
	}
	if _, err := reader.Exec(`CREATE TABLE t (x)`); err == nil {
		t.Error("the reader pool wrote")
	}
}
