package attendance_test

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/attendance"
	"github.com/callfloor/callfloor/floor"
)

var london, _ = time.LoadLocation("Europe/London")

func at(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, london) }

const ext = 1

func config() *floor.Config {
	return &floor.Config{
		Location: london,
		Agents: map[int64]*floor.AgentConfig{ext: {ExtensionID: ext, WrapupTimeout: 2 * time.Minute,
			OutboundQueueID: 90, Permissions: callfloor.AllPermissions()}},
		PauseReasons: map[int64]*callfloor.PauseReason{
			1: {ID: 1, Name: "Lunch", Code: 1},
			2: {ID: 2, Name: "Training", Code: 2, Productive: true},
		},
		Queues: map[int64]*floor.SourceConfig{50: {DispositionsEnabled: true, Outcomes: []callfloor.Outcome{
			{Category: callfloor.CategorySuccess, Name: "Sale"},
			{Category: callfloor.CategoryFail, Name: "Not interested", FailScope: callfloor.FailContact},
		}}},
	}
}

// day plays a working day through the floor engine's rules.
func day(t *testing.T) []callfloor.Event {
	cfg, s := config(), floor.NewState(at(8, 0), london)
	var log []callfloor.Event
	step := func(now time.Time, in floor.Input) {
		t.Helper()
		log = append(log, floor.RunTimers(cfg, s, now)...)
		evs, err := floor.Step(cfg, s, in, now)
		if err != nil {
			t.Fatalf("%T at %v: %v", in, now, err)
		}
		log = append(log, evs...)
	}
	call := func(id string) callfloor.CallRef {
		return callfloor.CallRef{ID: id, Direction: callfloor.DirQueueIn, QueueID: 50}
	}
	step(at(9, 0), floor.Login{Ext: ext})
	step(at(12, 0), floor.Pause{Ext: ext, ReasonID: 1})
	step(at(13, 0), floor.Unpause{Ext: ext})
	step(at(13, 10), floor.Offer{Ext: ext, Call: call("c1")})
	step(at(13, 10), floor.Answer{Ext: ext, CallID: "c1"})
	step(at(13, 15), floor.Hangup{Ext: ext, CallID: "c1"})
	step(at(13, 16), floor.Dispose{Ext: ext, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"})
	step(at(14, 0), floor.Dial{Ext: ext, CallID: "d1", Number: "+441632960500"})
	step(at(14, 1), floor.Answer{Ext: ext, CallID: "d1"})
	step(at(14, 5), floor.Hangup{Ext: ext, CallID: "d1"})
	step(at(15, 0), floor.Offer{Ext: ext, Call: call("c2")})
	step(at(15, 0), floor.Answer{Ext: ext, CallID: "c2"})
	step(at(15, 30), floor.Hangup{Ext: ext, CallID: "c2"})
	// wrap-up of c2 times out at 15:32; the agent completes it at 15:40
	step(at(15, 40), floor.Dispose{Ext: ext, CallID: "c2", Category: callfloor.CategoryFail, Outcome: "Not interested"})
	step(at(16, 0), floor.Pause{Ext: ext, ReasonID: 2})
	log = append(log, floor.RunTimers(cfg, s, at(23, 0).Add(2*time.Hour))...) // midnight logoff
	return log
}

func TestWorkingDay(t *testing.T) {
	evs := day(t)
	from := at(0, 0)
	to := from.AddDate(0, 0, 1)
	r := attendance.Fold(ext, evs, london, from, to, to.Add(time.Hour))
	if len(r.Sessions) != 1 || r.Sessions[0].EndReason != callfloor.LogoffMidnight || r.Sessions[0].Seconds != 15*3600 {
		t.Fatalf("sessions %+v", r.Sessions)
	}
	wantPauses := []struct {
		reason     string
		productive bool
		secs       float64
	}{{"Lunch", false, 3600}, {"Wrapup", true, 60}, {"Wrapup", true, 120}, {"Training", true, 8 * 3600}}
	if len(r.Pauses) != len(wantPauses) {
		t.Fatalf("pauses %+v", r.Pauses)
	}
	for i, w := range wantPauses {
		p := r.Pauses[i]
		if p.Reason != w.reason || p.Productive != w.productive || p.Seconds != w.secs || p.End == nil {
			t.Errorf("pause %d = %+v, want %+v", i, p, w)
		}
	}
	if len(r.Days) != 1 {
		t.Fatalf("days %+v", r.Days)
	}
	d := r.Days[0]
	// Talk: c1 5 min, d1 5 min (dialling counts as on the call), c2 30
	// min; idle is the rest of the 15 hours.
	want := attendance.Day{Date: "2026-11-23", LoginSeconds: 15 * 3600, ProductivePauseSeconds: 8 * 3600,
		UnproductivePauseSeconds: 3600, WrapupSeconds: 180, TalkSeconds: 40 * 60,
		IdleSeconds: 15*3600 - 8*3600 - 3600 - 180 - 40*60,
		Counters:    attendance.Counters{Calls: 3, Successful: 1, FailedContacts: 1}}
	if d != want {
		t.Errorf("day\n got %+v\nwant %+v", d, want)
	}
	if d.Parts() != d.LoginSeconds {
		t.Errorf("the parts add up to %v s, the login to %v s", d.Parts(), d.LoginSeconds)
	}
}

func TestPeriodClipping(t *testing.T) {
	evs := day(t)
	tests := []struct {
		name           string
		from, to, now  time.Time
		sessions       int
		login, paused  float64
		calls, success int
	}{
		{"morning only", at(0, 0), at(12, 30), at(23, 0), 1, 3.5 * 3600, 1800, 0, 0},
		{"afternoon", at(12, 30), at(24, 0), at(23, 0).Add(2 * time.Hour), 1, 11.5 * 3600, 1800 + 8*3600, 3, 1},
		{"still going at now", at(0, 0), at(24, 0), at(17, 0), 1, 8 * 3600, 3600 + 3600, 3, 1},
		{"next day", at(24, 0), at(48, 0), at(48, 0), 0, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := attendance.Fold(ext, evs, london, tc.from, tc.to, tc.now)
			var login, paused float64
			var calls, success int
			for _, d := range r.Days {
				if d.Parts() != d.LoginSeconds {
					t.Errorf("%s: the parts add up to %v s, the login to %v s", d.Date, d.Parts(), d.LoginSeconds)
				}
				login += d.LoginSeconds
				paused += d.ProductivePauseSeconds + d.UnproductivePauseSeconds
				calls += d.Calls
				success += d.Successful
			}
			if len(r.Sessions) != tc.sessions || login != tc.login || paused != tc.paused || calls != tc.calls || success != tc.success {
				t.Errorf("sessions %d login %v paused %v calls %d success %d; want %d %v %v %d %d",
					len(r.Sessions), login, paused, calls, success, tc.sessions, tc.login, tc.paused, tc.calls, tc.success)
			}
		})
	}
}

func TestCompletionMovesTheCount(t *testing.T) {
	evs := day(t)
	// Up to 15:35 the timed-out c2 counts as Unsure; from 15:40 as failed.
	r := attendance.Fold(ext, evs, london, at(0, 0), at(15, 35), at(15, 35))
	if c := r.Days[0].Counters; c.Unsure != 1 || c.FailedContacts != 0 {
		t.Fatalf("before completion %+v", c)
	}
	r = attendance.Fold(ext, evs, london, at(0, 0), at(24, 0), at(24, 0))
	if c := r.Days[0].Counters; c.Unsure != 0 || c.FailedContacts != 1 {
		t.Fatalf("after completion %+v", c)
	}
}
