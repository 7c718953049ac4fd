package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var leadTests = []test{
	{"List/RoundTrip", testListRoundTrip},
	{"Lead/RoundTrip", testLeadRoundTrip},
	{"Lead/Rules", testLeadRules},
	{"Lead/ListAndPage", testLeadListAndPage},
	{"Lead/Batches", testLeadBatches},
	{"Lead/Callable", testLeadCallable},
	{"Lead/CallableHoursAndAbandon", testLeadCallableFilters},
	{"Lead/ReserveOnce", testLeadReserveOnce},
	{"DNC/RoundTrip", testDNCRoundTrip},
	{"Dialer/Cursor", testDialerCursor},
}

// t0 is a Monday noon, the tests' now.
func t0() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }

// lead returns an unsaved lead of the test campaign with its required
// field.
func lead(name string, numbers ...string) *callfloor.Lead {
	l := &callfloor.Lead{Name: name, Fields: map[string]string{"policy": "P-" + name}}
	for _, n := range numbers {
		l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: n})
	}
	return l
}

func mustList(t *testing.T, st callfloor.Store, ctx context.Context, campaignID int64, name string) *callfloor.CampaignList {
	t.Helper()
	l := &callfloor.CampaignList{CampaignID: campaignID, Name: name, Active: true}
	ok(t, st.CreateList(ctx, l))
	return l
}

func testListRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	l := &callfloor.CampaignList{CampaignID: c.ID, Name: " January ", Active: true}
	ok(t, st.CreateList(ctx, l))
	if l.ID == 0 || l.AccountID != a.ID || l.Name != "January" || l.Leads != 0 {
		t.Fatalf("created %s", show(l))
	}
	stamped(t, "list", l.CreatedAt, l.UpdatedAt)
	wantErr(t, st.CreateList(ctx, &callfloor.CampaignList{CampaignID: c.ID, Name: "JANUARY"}), callfloor.ErrNameTaken, "name")
	wantErr(t, st.CreateList(ctx, &callfloor.CampaignList{CampaignID: c.ID, Name: ""}), callfloor.ErrFieldRequired, "name")
	wantErr(t, st.CreateList(ctx, &callfloor.CampaignList{CampaignID: 9999, Name: "X"}), callfloor.ErrInvalidReference, "campaign_id")
	// Another campaign may have a list of the same name.
	other := mustCampaign(t, st, ctx, campaign("Acquisition"))
	mustList(t, st, ctx, other.ID, "January")

	ok(t, st.CreateLeads(ctx, l.ID, []*callfloor.Lead{lead("A", "+442079460601"), lead("B", "+442079460602")}))
	feb := mustList(t, st, ctx, c.ID, "February")
	lists, err := st.ListLists(ctx, c.ID)
	ok(t, err)
	if len(lists) != 2 || lists[0].ID != feb.ID || lists[1].ID != l.ID || lists[1].Leads != 2 {
		t.Fatalf("lists by name with lead counts: %s", show(lists))
	}
	upd, err := st.UpdateList(ctx, l.ID, func(x *callfloor.CampaignList) error {
		x.Name, x.Active, x.CampaignID = "Jan", false, other.ID
		return nil
	})
	ok(t, err)
	if upd.Name != "Jan" || upd.Active || upd.CampaignID != c.ID {
		t.Fatalf("updated (campaign is the store's): %s", show(upd))
	}
	_, err = st.UpdateList(ctx, l.ID, func(x *callfloor.CampaignList) error { x.Name = "February"; return nil })
	wantErr(t, err, callfloor.ErrNameTaken, "name")
	ok(t, st.DeleteList(ctx, l.ID))
	leads, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID})
	ok(t, err)
	same(t, "leads of a deleted list", leads, []*callfloor.Lead{})
	wantErr(t, st.DeleteList(ctx, l.ID), callfloor.ErrNotFound, "")
}

func testLeadRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 5)
	e1 := mustExt(t, st, ctx, "201", agentOn)
	c := mustCampaign(t, st, ctx, campaign("Renewals", e1.ID))
	list := mustList(t, st, ctx, c.ID, "January")
	l := lead("Ada", "+442079460601", "+447700900123")
	l.Fields["renewal"] = "2027-01-31"
	l.TimeZone, l.AssignedExtID, l.Priority = "Europe/Paris", ptr(e1.ID), 7
	ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{l}))
	if l.ID == 0 || l.AccountID != a.ID || l.CampaignID != c.ID || l.ListID != list.ID || l.Status != callfloor.LeadNew {
		t.Fatalf("created %s", show(l))
	}
	stamped(t, "lead", l.CreatedAt, l.UpdatedAt)
	got, err := st.FindLeadByID(ctx, l.ID)
	ok(t, err)
	same(t, "found", got, l)

	next := t0().Add(time.Hour)
	upd, err := st.UpdateLead(ctx, l.ID, func(x *callfloor.Lead) error {
		x.Numbers[0].Failed = true
		x.Numbers = append(x.Numbers, callfloor.LeadNumber{Number: "+33142685300"})
		x.Status, x.NextAt, x.CallbackExtID, x.Attempts, x.LastResult = callfloor.LeadCallback, &next, ptr(e1.ID), 2, "Later"
		x.LastTriedAt, x.AbandonedAt, x.Seq = ptr(t0()), ptr(t0()), 17
		x.CampaignID, x.ListID = 9999, 9999 // the store's
		return nil
	})
	ok(t, err)
	if upd.CampaignID != c.ID || upd.ListID != list.ID || !upd.Numbers[0].Failed || len(upd.Numbers) != 3 ||
		upd.Status != callfloor.LeadCallback || !upd.NextAt.Equal(next) || *upd.CallbackExtID != e1.ID || upd.Attempts != 2 ||
		!upd.LastTriedAt.Equal(t0()) || !upd.AbandonedAt.Equal(t0()) || upd.NextNumber() != 1 || upd.Seq != 17 {
		t.Fatalf("updated %s", show(upd))
	}
	found, err := st.ListLeads(ctx, callfloor.LeadFilter{Number: "+33142685300"})
	ok(t, err)
	if len(found) != 1 || found[0].ID != l.ID {
		t.Fatalf("found by its new number: %s", show(found))
	}
	known, err := st.KnownNumbers(ctx, c.ID, []string{"+33142685300", "+442079460601", "+442079460699"})
	ok(t, err)
	same(t, "known numbers", known, map[string]bool{"+33142685300": true, "+442079460601": true})
	other := mustCampaign(t, st, ctx, campaign("Other"))
	known, err = st.KnownNumbers(ctx, other.ID, []string{"+33142685300"})
	ok(t, err)
	same(t, "another campaign's numbers", known, map[string]bool{})
	ok(t, st.DeleteLead(ctx, l.ID))
	_, err = st.FindLeadByID(ctx, l.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	found, err = st.ListLeads(ctx, callfloor.LeadFilter{Number: "+33142685300"})
	ok(t, err)
	same(t, "a deleted lead's numbers", found, []*callfloor.Lead{})
}

func testLeadRules(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	e1 := mustExt(t, st, ctx, "201", agentOn)
	e2 := mustExt(t, st, ctx, "202", agentOn)
	c := mustCampaign(t, st, ctx, campaign("Renewals", e1.ID))
	list := mustList(t, st, ctx, c.ID, "January")
	bad := lead("B", "02079460601")
	wantErr(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{lead("A", "+442079460601"), bad}), callfloor.ErrInvalidField, "leads[1].numbers[0].number")
	noField := lead("C", "+442079460603")
	delete(noField.Fields, "policy")
	wantErr(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{noField}), callfloor.ErrFieldRequired, "leads[0].fields.policy")
	notMember := lead("D", "+442079460604")
	notMember.AssignedExtID = ptr(e2.ID)
	wantErr(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{notMember}), callfloor.ErrNotCampaignMember, "leads[0].assigned_extension_id")
	wantErr(t, st.CreateLeads(ctx, 9999, []*callfloor.Lead{lead("E", "+442079460605")}), callfloor.ErrNotFound, "")
	// Nothing of a refused batch was stored.
	leads, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID})
	ok(t, err)
	same(t, "after refused batches", leads, []*callfloor.Lead{})

	good := lead("F", "+442079460606")
	ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{good}))
	_, err = st.UpdateLead(ctx, good.ID, func(x *callfloor.Lead) error { x.Fields["shoe"] = "9"; return nil })
	wantErr(t, err, callfloor.ErrUnknownField, "fields.shoe")
	_, err = st.UpdateLead(ctx, good.ID, func(x *callfloor.Lead) error { x.CallbackExtID = ptr(e2.ID); return nil })
	wantErr(t, err, callfloor.ErrNotCampaignMember, "callback_extension_id")
	got, err := st.FindLeadByID(ctx, good.ID)
	ok(t, err)
	same(t, "unchanged by refused updates", got, good)
	wantErr(t, st.DeleteLead(ctx, 9999), callfloor.ErrNotFound, "")
}

// testLeadBatches: a large import (several of the store's batches and a
// part of one) gives every lead its own ID, in the order given, with its
// own numbers findable.
func testLeadBatches(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	list := mustList(t, st, ctx, c.ID, "January")
	var batch []*callfloor.Lead
	for i := range 150 {
		l := lead(fmt.Sprint("Lead ", i), fmt.Sprintf("+4420794%05d", i))
		if i%7 == 0 {
			l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: fmt.Sprintf("+4477009%05d", i)})
		}
		batch = append(batch, l)
	}
	ok(t, st.CreateLeads(ctx, list.ID, batch))
	for i, l := range batch {
		if i > 0 && l.ID <= batch[i-1].ID {
			t.Fatalf("lead %d has ID %d after %d", i, l.ID, batch[i-1].ID)
		}
		got, err := st.FindLeadByID(ctx, l.ID)
		ok(t, err)
		if got.Name != l.Name || len(got.Numbers) != len(l.Numbers) {
			t.Fatalf("lead %d (ID %d) is stored as %q with %d numbers", i, l.ID, got.Name, len(got.Numbers))
		}
		last := l.Numbers[len(l.Numbers)-1].Number
		found, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID, Number: last})
		ok(t, err)
		if len(found) != 1 || found[0].ID != l.ID {
			t.Fatalf("number %s finds %d leads, want lead %d", last, len(found), l.ID)
		}
	}
}

func testLeadListAndPage(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	jan := mustList(t, st, ctx, c.ID, "January")
	feb := mustList(t, st, ctx, c.ID, "February")
	var all []*callfloor.Lead
	for i := range 5 {
		l := lead(fmt.Sprint("L", i), fmt.Sprintf("+4420794606%02d", i))
		list := jan
		if i%2 == 1 {
			list = feb
		}
		ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{l}))
		all = append(all, l)
	}
	_, err := st.UpdateLead(ctx, all[4].ID, func(x *callfloor.Lead) error { x.Status = callfloor.LeadDone; return nil })
	ok(t, err)
	page1, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID, Limit: 2})
	ok(t, err)
	page2, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID, Limit: 2, AfterID: page1[1].ID})
	ok(t, err)
	if len(page1) != 2 || len(page2) != 2 || page1[0].ID != all[0].ID || page2[0].ID != all[2].ID {
		t.Fatalf("pages: %s / %s", show(page1), show(page2))
	}
	inFeb, err := st.ListLeads(ctx, callfloor.LeadFilter{ListID: feb.ID})
	ok(t, err)
	if len(inFeb) != 2 || inFeb[0].ID != all[1].ID || inFeb[1].ID != all[3].ID {
		t.Fatalf("by list: %s", show(inFeb))
	}
	byStatus, err := st.LeadStatusCounts(ctx, c.ID)
	ok(t, err)
	same(t, "counts by status", byStatus, map[callfloor.LeadStatus]int{callfloor.LeadNew: 4, callfloor.LeadDone: 1})
	done, err := st.ListLeads(ctx, callfloor.LeadFilter{CampaignID: c.ID, Status: callfloor.LeadDone})
	ok(t, err)
	if len(done) != 1 || done[0].ID != all[4].ID {
		t.Fatalf("by status: %s", show(done))
	}
}

// testLeadCallable: an agent's own leads (assigned, and their callbacks)
// come first, then the pool; each by priority, then least recently tried;
// a callback kept for another agent, a lead assigned to another, a lead
// not due, closed or in an inactive list never comes.
func testLeadCallable(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	e1 := mustExt(t, st, ctx, "201", agentOn)
	e2 := mustExt(t, st, ctx, "202", agentOn)
	c := mustCampaign(t, st, ctx, campaign("Renewals", e1.ID, e2.ID))
	list := mustList(t, st, ctx, c.ID, "January")
	off := mustList(t, st, ctx, c.ID, "Paused list")
	_, err := st.UpdateList(ctx, off.ID, func(l *callfloor.CampaignList) error { l.Active = false; return nil })
	ok(t, err)
	now := t0()
	earlier, later := now.Add(-time.Hour), now.Add(time.Hour)
	mk := func(name string, mod func(l *callfloor.Lead)) *callfloor.Lead {
		l := lead(name, "+44207946"+fmt.Sprintf("%04d", len(name)*100+int(name[0])))
		mod(l)
		return l
	}
	// Created in this order, so IDs break ties in it.
	batch := []*callfloor.Lead{
		mk("mine", func(l *callfloor.Lead) { l.AssignedExtID = ptr(e1.ID) }),
		mk("my callback", func(l *callfloor.Lead) {
			l.Status, l.CallbackExtID, l.NextAt = callfloor.LeadCallback, ptr(e1.ID), &earlier
		}),
		mk("their cb", func(l *callfloor.Lead) {
			l.Status, l.CallbackExtID, l.NextAt = callfloor.LeadCallback, ptr(e2.ID), &earlier
		}),
		mk("theirs", func(l *callfloor.Lead) { l.AssignedExtID = ptr(e2.ID) }),
		mk("pool high", func(l *callfloor.Lead) { l.Priority = 9 }),
		mk("pool tried", func(l *callfloor.Lead) { l.Status, l.LastTriedAt, l.NextAt = callfloor.LeadRetry, &earlier, &earlier }),
		mk("pool new", func(*callfloor.Lead) {}),
		mk("anyone cb", func(l *callfloor.Lead) { l.Status, l.NextAt = callfloor.LeadCallback, &earlier }),
		mk("not due", func(l *callfloor.Lead) { l.Status, l.NextAt = callfloor.LeadRetry, &later }),
		mk("done", func(l *callfloor.Lead) { l.Status = callfloor.LeadDone }),
		mk("active", func(l *callfloor.Lead) { l.Status = callfloor.LeadActive }),
	}
	ok(t, st.CreateLeads(ctx, list.ID, batch))
	ok(t, st.CreateLeads(ctx, off.ID, []*callfloor.Lead{lead("inactive list", "+442079469999")}))

	q := callfloor.LeadQuery{CampaignID: c.ID, Ext: e1.ID, TimeZones: []string{""}, Now: now, AbandonedBefore: now.Add(-72 * time.Hour)}
	got, err := st.CallableLeads(ctx, q)
	ok(t, err)
	names := func(ls []*callfloor.Lead) []string {
		out := []string{}
		for _, l := range ls {
			out = append(out, l.Name)
		}
		return out
	}
	// Own leads first (same priority, never tried: by ID), then the pool.
	same(t, "agent 1's leads in order", names(got), []string{"mine", "my callback", "pool high", "pool new", "anyone cb", "pool tried"})
	counts, err := st.CountLeads(ctx, q)
	ok(t, err)
	if counts.Own != 2 || counts.Pool != 4 || counts.Waiting != 1 || counts.Open != 7 || counts.NextDue == nil || !counts.NextDue.Equal(later) {
		t.Fatalf("agent 1's counts %+v (open: own 2, pool 4, not due 1, in an active list, not agent 2's)", counts)
	}
	q.OwnOnly = true
	got, err = st.CallableLeads(ctx, q)
	ok(t, err)
	same(t, "agent 1's own leads alone", names(got), []string{"mine", "my callback"})
	q.OwnOnly = false
	q.Ext, q.Limit = e2.ID, 2
	got, err = st.CallableLeads(ctx, q)
	ok(t, err)
	same(t, "agent 2's first two", names(got), []string{"their cb", "theirs"})
	q.Ext, q.Limit = 0, 0
	got, err = st.CallableLeads(ctx, q)
	ok(t, err)
	same(t, "the pool alone", names(got), []string{"pool high", "pool new", "anyone cb", "pool tried"})
}

// testLeadCallableFilters: the dialler's zones within calling hours and
// the 72-hour rule after an abandoned call decide too.
func testLeadCallableFilters(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	list := mustList(t, st, ctx, c.ID, "January")
	now := t0()
	paris, tokyo, abandoned, old := lead("Paris", "+33142685300"), lead("Tokyo", "+81312345678"), lead("Abandoned", "+442079460601"), lead("Old", "+442079460602")
	paris.TimeZone, tokyo.TimeZone = "Europe/Paris", "Asia/Tokyo"
	abandoned.AbandonedAt = ptr(now.Add(-time.Hour))
	old.AbandonedAt = ptr(now.Add(-73 * time.Hour))
	ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{paris, tokyo, abandoned, old}))
	zones, err := st.LeadZones(ctx, c.ID)
	ok(t, err)
	same(t, "lead zones", zones, []string{"", "Asia/Tokyo", "Europe/Paris"})
	got, err := st.CallableLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, TimeZones: []string{"", "Europe/Paris"},
		Now: now, AbandonedBefore: now.Add(-72 * time.Hour)})
	ok(t, err)
	if len(got) != 2 || got[0].ID != paris.ID || got[1].ID != old.ID {
		t.Fatalf("open zones, abandoned over 72 hours ago: %s", show(got))
	}
	got, err = st.CallableLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, Now: now})
	ok(t, err)
	same(t, "no zone open", got, []*callfloor.Lead{})
}

// testLeadReserveOnce: two agents reserving one lead at once: one gets it,
// the others ErrLeadTaken.
func testLeadReserveOnce(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	c := mustCampaign(t, st, ctx, campaign("Renewals"))
	list := mustList(t, st, ctx, c.ID, "January")
	l := lead("A", "+442079460601")
	ok(t, st.CreateLeads(ctx, list.ID, []*callfloor.Lead{l}))
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.ReserveLead(ctx, l.ID, t0())
			codes[i] = callfloor.ErrorCode(err)
		}()
	}
	wg.Wait()
	won := 0
	for _, code := range codes {
		switch code {
		case "":
			won++
		case callfloor.ErrLeadTaken:
		default:
			t.Fatalf("reserve: %q", code)
		}
	}
	if won != 1 {
		t.Fatalf("%d reservations succeeded, want 1 (%q)", won, codes)
	}
	got, err := st.FindLeadByID(ctx, l.ID)
	ok(t, err)
	if got.Status != callfloor.LeadActive || got.Attempts != 0 || !got.LastTriedAt.Equal(t0()) {
		t.Fatalf("reserved %s", show(got))
	}
	_, err = st.ReserveLead(ctx, 9999, t0())
	wantErr(t, err, callfloor.ErrNotFound, "")
}

func testDNCRoundTrip(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	wantErr(t, st.AddDNC(ctx, &callfloor.DNCEntry{Number: "020 7946 0601"}), callfloor.ErrInvalidField, "number")
	e := &callfloor.DNCEntry{Number: "+442079460601", Note: " asked on the phone "}
	ok(t, st.AddDNC(ctx, e))
	if e.Note != "asked on the phone" || e.CreatedAt.IsZero() {
		t.Fatalf("added %s", show(e))
	}
	again := &callfloor.DNCEntry{Number: "+442079460601", Note: "complaint"}
	ok(t, st.AddDNC(ctx, again))
	if !again.CreatedAt.Equal(e.CreatedAt) {
		t.Fatalf("adding again changed when it was added: %v, %v", again.CreatedAt, e.CreatedAt)
	}
	ok(t, st.AddDNC(ctx, &callfloor.DNCEntry{Number: "+14155550134"}))
	list, err := st.ListDNC(ctx)
	ok(t, err)
	if len(list) != 2 || list[0].Number != "+14155550134" || list[1].Note != "complaint" {
		t.Fatalf("list %s", show(list))
	}
	on, err := st.IsDNC(ctx, "+442079460601")
	ok(t, err)
	if !on {
		t.Fatal("a listed number is not on the list")
	}
	ok(t, st.RemoveDNC(ctx, "+442079460601"))
	on, err = st.IsDNC(ctx, "+442079460601")
	ok(t, err)
	if on {
		t.Fatal("a removed number is still on the list")
	}
	wantErr(t, st.RemoveDNC(ctx, "+442079460601"), callfloor.ErrNotFound, "")
}

func testDialerCursor(t *testing.T, st callfloor.Store) {
	_, ctxA := agentAccount(t, st, "Acme", 5)
	_, ctxB := agentAccount(t, st, "Globex", 5)
	seq, err := st.DialerCursor(ctxA)
	ok(t, err)
	if seq != 0 {
		t.Fatalf("a new account's cursor: %d", seq)
	}
	ok(t, st.SetDialerCursor(ctxA, 40))
	ok(t, st.SetDialerCursor(ctxA, 30)) // never back
	seq, err = st.DialerCursor(ctxA)
	ok(t, err)
	if seq != 40 {
		t.Fatalf("cursor %d, want 40", seq)
	}
	seq, err = st.DialerCursor(ctxB)
	ok(t, err)
	if seq != 0 {
		t.Fatalf("another account's cursor moved: %d", seq)
	}
}
