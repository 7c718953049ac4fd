package sqlstore

import (
	"testing"
	"testing/fstest"

	"github.com/callfloor/callfloor"
)

func TestRebind(t *testing.T) {
	pg := &Dialect{NumberedPlaceholders: true}
	lite := &Dialect{}
	tests := []struct{ in, pg string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE id = ?`, `SELECT a FROM t WHERE id = $1`},
		{`INSERT INTO t (a, b, c) VALUES (?, ?, ?)`, `INSERT INTO t (a, b, c) VALUES ($1, $2, $3)`},
		{`?,?,?,?,?,?,?,?,?,?,?`, `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11`},
	}
	for _, tc := range tests {
		if got := pg.Rebind(tc.in); got != tc.pg {
			t.Errorf("postgres Rebind(%q) = %q, want %q", tc.in, got, tc.pg)
		}
		if got := lite.Rebind(tc.in); got != tc.in {
			t.Errorf("sqlite Rebind(%q) = %q", tc.in, got)
		}
	}
}

func TestReadMigrations(t *testing.T) {
	ms, err := ReadMigrations(fstest.MapFS{
		"0002_more.sql": {Data: []byte("B")},
		"0001_init.sql": {Data: []byte("A")},
		"README.md":     {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[0].Name != "0001_init" || ms[0].SQL != "A" || ms[1].Version != 2 {
		t.Fatalf("migrations = %+v", ms)
	}
	bad := []fstest.MapFS{
		{"init.sql": {}},
		{"0000_zero.sql": {}},
		{"0001_a.sql": {}, "1_b.sql": {}},
	}
	for _, fsys := range bad {
		if _, err := ReadMigrations(fsys); err == nil {
			t.Errorf("ReadMigrations accepted %v", fsys)
		}
	}
}

func TestKeptOutcomeIDs(t *testing.T) {
	stored := map[int64]bool{10: true, 11: true, 12: true}
	keys := map[string]int64{
		outcomeKey(callfloor.CategorySuccess, "Sale"):  10,
		outcomeKey(callfloor.CategoryUnsure, "Later"):  11,
		outcomeKey(callfloor.CategoryFail, "Wrong no"): 12,
	}
	outs := []callfloor.Outcome{
		{Category: callfloor.CategorySuccess, Name: "SALE"},           // by name: 10
		{ID: 11, Category: callfloor.CategoryUnsure, Name: "Renamed"}, // by ID: 11
		{ID: 11, Category: callfloor.CategoryUnsure, Name: "Copy"},    // ID taken: new
		{ID: 99, Category: callfloor.CategoryFail, Name: "Other"},     // unknown ID: new
		{Category: callfloor.CategoryUnsure, Name: "Later"},           // name's ID taken: new
	}
	got := keptOutcomeIDs(outs, stored, keys)
	want := []int64{10, 11, 0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept IDs = %v, want %v", got, want)
		}
	}
}

func TestAgentStatus(t *testing.T) {
	tests := []struct {
		kind    callfloor.LicenceKind
		enabled bool
		want    callfloor.AgentStatus
	}{
		{callfloor.LicenceNone, false, callfloor.AgentNotActivated},
		{callfloor.LicenceNone, true, callfloor.AgentNotActivated},
		{callfloor.LicenceAgentExtensions, false, callfloor.AgentNotEnabled},
		{callfloor.LicenceQueueAgentAnalytics, true, callfloor.AgentEnabled},
	}
	for _, tc := range tests {
		if got := agentStatus(tc.kind, tc.enabled); got != tc.want {
			t.Errorf("agentStatus(%s, %v) = %s, want %s", tc.kind, tc.enabled, got, tc.want)
		}
	}
}
