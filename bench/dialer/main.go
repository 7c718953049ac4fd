// Command dialer is the campaigns' benchmark (make bench-dialer). In a
// fresh store (SQLite in a temporary directory, or PostgreSQL with
// -database) it makes a preview campaign with -agents member agents,
// imports -leads leads from CSV text through the same path as the API
// (leadimport: parse, normalise, validate, refuse duplicates; then the
// store, in transactions of -batch leads), then times the pick of the
// next lead for an agent as the dialler makes it: the callable leads for
// the agent in the campaign's open time zones, and the reservation of
// the first. Then it puts that campaign on hold and runs a power campaign
// of the same members and -power-leads leads: the floor engine and the
// dialler for -power with every member logged in,
// the telephony plane simulated in process (see runPower), and times how
// long an answered customer waits for an agent's phone to be rung, and
// the share of answered calls abandoned. It prints the settings as
// "# ..." lines and one figure a line as "name: value unit".
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bench/internal/benchstore"
	"github.com/callfloor/callfloor/leadimport"
)

func main() {
	leads := flag.Int("leads", 1_000_000, "leads imported into the campaign")
	agents := flag.Int("agents", 200, "member agents")
	batch := flag.Int("batch", 20_000, "leads stored in one transaction")
	picks := flag.Int("picks", 5000, "next-lead picks timed")
	database := flag.String("database", "", "postgres:// URL; empty for SQLite in a temporary directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the import to this file")
	flag.DurationVar(&powerFor, "power", time.Minute, "how long the power campaign runs (0: not at all)")
	flag.IntVar(&powerLeads, "power-leads", 100_000, "leads of the power campaign")
	flag.Parse()
	profile = *cpuprofile
	if *leads < 1 || *agents < 1 || *batch < 1 || *picks < 1 {
		log.Fatal("-leads, -agents, -batch and -picks must be positive")
	}
	if err := run(*leads, *agents, *batch, *picks, *database); err != nil {
		log.Fatal(err)
	}
}

// profile is the -cpuprofile file; powerFor the -power duration.
var (
	profile    string
	powerFor   time.Duration
	powerLeads int
)

func run(nLeads, nAgents, batch, picks int, database string) error {
	ctx := context.Background()
	st, done, err := benchstore.Open(ctx, database, "bench-dialer")
	if err != nil {
		return err
	}
	defer done()
	acc := &callfloor.Account{Name: "bench", TimeZone: "Europe/London", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: nAgents}
	if err := st.CreateAccount(ctx, acc); err != nil {
		return err
	}
	ctx = callfloor.SystemContext(ctx, acc.ID)
	c := callfloor.NewCampaign("Bench", callfloor.CampaignPreview)
	c.CallingHours = callfloor.CallingHours{Start: "00:00", End: "23:59", Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}
	c.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy", Required: true}, {Name: "premium", Label: "Premium", Type: callfloor.FieldNumber}}
	agentIDs := make([]int64, nAgents)
	for i := range nAgents {
		e := &callfloor.Extension{Number: fmt.Sprint(2000 + i), Name: fmt.Sprint("Agent ", i), SIPUsername: callfloor.NewSIPUsername(fmt.Sprint(2000 + i)),
			QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
		if err := st.CreateExtension(ctx, e); err != nil {
			return err
		}
		agentIDs[i] = e.ID
		c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: e.ID})
	}
	if err := st.CreateCampaign(ctx, c); err != nil {
		return err
	}
	list := &callfloor.CampaignList{CampaignID: c.ID, Name: "All", Active: true}
	if err := st.CreateList(ctx, list); err != nil {
		return err
	}
	fmt.Printf("# %s, %d leads in batches of %d, %d member agents, %d picks\n", benchstore.Name(database), nLeads, batch, nAgents, picks)

	// The CSV files, made first (not timed): national numbers with spaces,
	// as a spreadsheet exports them; one in 50 leads assigned to an agent.
	rnd := rand.New(rand.NewPCG(1, 2))
	var files [][]byte
	for start := 0; start < nLeads; start += batch {
		var b bytes.Buffer
		b.WriteString("Name,Phone,Policy,Premium,Priority\n")
		for i := start; i < min(start+batch, nLeads); i++ {
			fmt.Fprintf(&b, "Lead %d,07%03d %06d,P-%d,%d,%d\n", i, 700+i/1_000_000, i%1_000_000, i, 100+rnd.IntN(900), rnd.IntN(10))
		}
		files = append(files, b.Bytes())
	}
	m := leadimport.Mapping{Name: "Name", Numbers: []string{"Phone"}, Fields: map[string]string{"policy": "Policy", "premium": "Premium"}, Priority: "Priority"}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0 := time.Now()
	imported := 0
	for _, f := range files {
		res, err := leadimport.Read(f, c, m, func(ns []string) (map[string]bool, error) { return st.KnownNumbers(ctx, c.ID, ns) })
		if err != nil {
			return err
		}
		if len(res.Refused) > 0 {
			return fmt.Errorf("%d rows refused, the first: %+v", len(res.Refused), res.Refused[0])
		}
		for i, l := range res.Leads {
			if i%50 == 0 {
				id := agentIDs[rnd.IntN(nAgents)]
				l.AssignedExtID = &id
			}
		}
		if err := st.CreateLeads(ctx, list.ID, res.Leads); err != nil {
			return err
		}
		imported += len(res.Leads)
	}
	took := time.Since(t0)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("# imported %d leads in %s (parse, normalise, duplicate check, store)\n", imported, took.Round(time.Millisecond))
	fmt.Printf("csv_import_leads_per_second: %.0f leads/s\n", float64(imported)/took.Seconds())

	// The picks: a random agent asks for their next lead, which is then
	// reserved, as the dialler does for a preview.
	zones, err := st.LeadZones(ctx, c.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	var lat []time.Duration
	taken := 0
	for range picks {
		ext := agentIDs[rnd.IntN(nAgents)]
		start := time.Now()
		ls, err := st.CallableLeads(ctx, callfloor.LeadQuery{CampaignID: c.ID, Ext: ext, TimeZones: zones, Now: now, AbandonedBefore: now, Limit: 5})
		if err != nil {
			return err
		}
		for _, l := range ls {
			if _, err := st.ReserveLead(ctx, l.ID, now); err == nil {
				taken++
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("# %d picks reserved a lead; p50 %.2f ms, p90 %.2f ms, max %.2f ms\n", taken, q(0.5), q(0.9), q(1))
	fmt.Printf("lead_select_p99: %.2f ms\n", q(0.99))
	if powerFor <= 0 {
		return nil
	}
	return runPower(ctx, st, c, agentIDs, powerLeads, powerFor)
}
