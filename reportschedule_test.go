package callfloor

import (
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestReportScheduleNextRun(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, london)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name  string
		sched ReportSchedule
		after string
		want  string
	}{
		{"daily, later today", ReportSchedule{Frequency: Daily, Hour: 7}, "2026-03-02 06:59", "2026-03-02 07:00"},
		{"daily, at the hour is the next day", ReportSchedule{Frequency: Daily, Hour: 7}, "2026-03-02 07:00", "2026-03-03 07:00"},
		{"weekly on Monday from a Wednesday", ReportSchedule{Frequency: Weekly, Weekday: 1, Hour: 8}, "2026-03-04 12:00", "2026-03-09 08:00"},
		{"weekly, same day before the hour", ReportSchedule{Frequency: Weekly, Weekday: 3, Hour: 8}, "2026-03-04 07:00", "2026-03-04 08:00"},
		{"monthly on the 1st", ReportSchedule{Frequency: Monthly, MonthDay: 1, Hour: 6}, "2026-01-15 10:00", "2026-02-01 06:00"},
		{"monthly across the year", ReportSchedule{Frequency: Monthly, MonthDay: 28, Hour: 23}, "2026-12-28 23:30", "2027-01-28 23:00"},
		// The clocks go forward at 01:00 on 29 March 2026: 07:00 is BST.
		{"daily across summer time", ReportSchedule{Frequency: Daily, Hour: 7}, "2026-03-28 08:00", "2026-03-29 07:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.sched.NextRun(at(tc.after), london)
			if !got.Equal(at(tc.want)) {
				t.Fatalf("NextRun(%s) = %s, want %s", tc.after, got.In(london), tc.want)
			}
		})
	}
}

func TestReportSchedulePeriod(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 03:00 UTC on 2 March is still 1 March in New York.
	run := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		freq     Frequency
		from, to string
	}{
		{Daily, "2026-02-28", "2026-02-28"},
		{Weekly, "2026-02-22", "2026-02-28"},
		{Monthly, "2026-02-01", "2026-02-28"},
	}
	for _, tc := range cases {
		s := ReportSchedule{Frequency: tc.freq}
		from, to := s.Period(run, ny)
		if got := from.Format("2006-01-02") + " " + to.Format("2006-01-02"); got != tc.from+" "+tc.to {
			t.Errorf("%s period of a send at %s New York time: %s, want %s %s", tc.freq, run.In(ny), got, tc.from, tc.to)
		}
	}
}

func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "Ann <a@example.com>", "a@b", "a@example.com\r\nBcc: x@y.z", "", "\"a b\"@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := checkEmail("to", s)
		if err != nil {
			if ErrorCode(err) == ErrInternal {
				t.Fatalf("%q: an error without a code: %v", s, err)
			}
			return
		}
		if strings.ContainsAny(addr, "\r\n<>,; ") {
			t.Fatalf("%q was accepted as %q, which could inject a header", s, addr)
		}
		if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
			t.Fatalf("%q was accepted as %q, which net/mail reads as %v, %v", s, addr, a, err)
		}
	})
}
