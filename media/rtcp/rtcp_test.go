package rtcp

import (
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, r := range []Report{
		{SSRC: 1},
		{SSRC: 2, Blocks: []ReportBlock{{SSRC: 9, FractionLost: 25, TotalLost: -3, HighestSeq: 70000, Jitter: 40, LastSR: 7, DelaySinceLastSR: 8}}},
		{SSRC: 3, Sender: &SenderInfo{NTPTime: NTP(1_700_000_000_500_000_000), RTPTime: 160, Packets: 50, Octs: 8000},
			Blocks: []ReportBlock{{SSRC: 4, TotalLost: 12}, {SSRC: 5, TotalLost: 8388607}}},
	} {
		b, err := r.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		b = AppendSDES(b, r.SSRC, "callfloor@127.0.0.1")
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0].Blocks, r.Blocks) || got[0].SSRC != r.SSRC ||
			(r.Sender != nil) != (got[0].Sender != nil) || (r.Sender != nil && *got[0].Sender != *r.Sender) {
			t.Fatalf("round trip of %+v gave %+v", r, got)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	good, _ := Report{SSRC: 1, Blocks: []ReportBlock{{SSRC: 2}}}.Append(nil)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version 1":     append([]byte{1 << 6}, good[1:]...),
		"length beyond": good[:len(good)-4],
		"block missing": append([]byte{2<<6 | 2}, good[1:]...),
		"bad padding":   {2<<6 | 0x20, TypeRR, 0, 1, 0, 0, 0, 9},
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestNTP(t *testing.T) {
	if got := NTP(0) >> 32; got != 2208988800 {
		t.Fatalf("NTP seconds of the Unix epoch %d", got)
	}
	if frac := uint32(NTP(500_000_000)); frac < 1<<31-10 || frac > 1<<31+10 {
		t.Fatalf("half a second is fraction %d", frac)
	}
}

func FuzzParse(f *testing.F) {
	good, _ := Report{SSRC: 3, Sender: &SenderInfo{Packets: 1}, Blocks: []ReportBlock{{SSRC: 4}}}.Append(nil)
	f.Add(good)
	f.Add(AppendSDES(good, 3, "x"))
	f.Add([]byte{0x80, 201, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		reps, err := Parse(b)
		if err != nil {
			return
		}
		for _, r := range reps {
			if len(r.Blocks) > 31 {
				t.Fatalf("%d blocks", len(r.Blocks))
			}
			if _, err := r.Append(nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}
