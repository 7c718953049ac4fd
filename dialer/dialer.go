package dialer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// Floor is what the dialler needs of the floor engine.
type Floor interface {
	Do(ctx context.Context, accountID int64, in floor.Input) ([]callfloor.Event, error)
	View(ctx context.Context, accountID int64, fn func(*floor.State, *floor.Config)) error
}

// Phones places the calls (the B2BUA). A preview call is DialAs: the
// agent's phone first, asked to answer at once, then the lead's number,
// showing callerID (empty: the trunk route's). A power call is
// DialCustomer: the customer first; once answered, Ring connects a
// member, Drop hangs up on a machine, and Abandon plays the information
// message and hangs up.
type Phones interface {
	DialAs(ctx context.Context, account int64, ext *callfloor.Extension, callID, number, callerID string) error
	DialCustomer(ctx context.Context, cu b2bua.Customer) (b2bua.Reached, error)
	Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, o b2bua.RingOptions) error
	Drop(ctx context.Context, account int64, callID, reason string) error
	Abandon(account int64, callID string) error
}

// Journal reads the journal's call records (extension 0), for the
// power campaigns' abandoned rate over the 24 hours before a restart.
type Journal interface {
	ReadExtensionEvents(ctx context.Context, accountID, extensionID int64, from, to time.Time) ([]callfloor.Event, error)
}

// Config is a Dialer's parts.
type Config struct {
	Store  callfloor.Store
	Floor  Floor
	Phones Phones
	// Journal, if set, is read at the first round of each account.
	Journal Journal
	Clock   callfloor.TimerClock
	Logger  *slog.Logger
	// Tick is how often the dialler looks for work; 1 s by default.
	Tick time.Duration
	// Owns, on a cluster node, tells the accounts whose campaigns this
	// node works (those it owns); nil: every account's.
	Owns func(accountID int64) bool
}

// Dialer works the accounts' campaigns. Tick does one round: it folds
// the journal into leads, shows leads to idle agents of preview
// campaigns, and dials the previews whose countdown is over. Run ticks
// until its context ends.
type Dialer struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	previews map[agentKey]*preview
	// turn is each campaign's next caller ID, for a pool used in turn.
	turn map[int64]int
	// zones caches each campaign's lead time zones for zoneTTL.
	zones map[int64]zoneCache

	// power is each power campaign's pacing; liveLoaded the accounts
	// whose last 24 hours were read from the journal; ownChecked when
	// each member was last looked at for their own leads; connecting
	// the members a customer is being connected to; inFlight the leads
	// of power calls not settled yet; wg the power calls' goroutines.
	power      map[int64]*power
	liveLoaded map[int64]bool
	ownChecked map[agentKey]time.Time
	connecting map[agentKey]bool
	inFlight   map[int64]bool
	wg         sync.WaitGroup

	// worked are the accounts the last round worked (cluster nodes:
	// Config.Owns); only Tick's goroutine uses it.
	worked map[int64]bool
}

type agentKey struct{ account, ext int64 }

// preview is a lead shown to an agent: its countdown ends at due.
type preview struct {
	lead     *callfloor.Lead
	campaign *callfloor.Campaign
	number   string
	due      time.Time
}

type zoneCache struct {
	zones []string
	at    time.Time
}

// New returns a dialler; call Run (or Tick, in tests).
func New(cfg Config) *Dialer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	return &Dialer{cfg: cfg, log: cfg.Logger, previews: map[agentKey]*preview{}, zones: map[int64]zoneCache{}, turn: map[int64]int{},
		power: map[int64]*power{}, liveLoaded: map[int64]bool{}, ownChecked: map[agentKey]time.Time{},
		connecting: map[agentKey]bool{}, inFlight: map[int64]bool{}, worked: map[int64]bool{}}
}

// Run ticks every Config.Tick until ctx ends.
func (d *Dialer) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Tick)
	defer t.Stop()
	for {
		d.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does one round for every account with campaigns.
func (d *Dialer) Tick(ctx context.Context) {
	accounts, err := d.cfg.Store.ListAccounts(ctx)
	if err != nil {
		d.log.Warn("dialler: accounts not read", "err", err)
		return
	}
	now := map[int64]bool{}
	for _, a := range accounts {
		if d.cfg.Owns != nil && !d.cfg.Owns(a.ID) {
			continue
		}
		now[a.ID] = true
		// An account with no campaign has nothing to fold or dial; its
		// journal is folded from the cursor once it has one.
		actx := callfloor.SystemContext(ctx, a.ID)
		campaigns, err := d.cfg.Store.ListCampaigns(actx)
		if err != nil {
			d.log.Warn("dialler: campaigns not read", "account", a.ID, "err", err)
			continue
		}
		if len(campaigns) == 0 {
			continue
		}
		if err := d.fold(actx, a.ID, campaigns); err != nil {
			d.log.Warn("dialler: journal not folded into leads", "account", a.ID, "err", err)
		}
		if err := d.account(actx, a.ID, campaigns); err != nil {
			d.log.Warn("dialler: round failed", "account", a.ID, "err", err)
		}
	}
	for id := range d.worked {
		if !now[id] {
			d.forget(ctx, id)
		}
	}
	d.worked = now
}

// forget drops what the dialler keeps of an account this node no longer
// works (another cluster node owns it now): the leads shown to its
// agents, and the pacing and 24 hours of calls of its power campaigns,
// which the node that works it reads from the journal. A power campaign
// with calls still being dialled here keeps its pacing until they end.
func (d *Dialer) forget(ctx context.Context, accountID int64) {
	campaigns, err := d.cfg.Store.ListCampaigns(callfloor.SystemContext(ctx, accountID))
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range d.previews {
		if k.account == accountID {
			delete(d.previews, k)
		}
	}
	for k := range d.ownChecked {
		if k.account == accountID {
			delete(d.ownChecked, k)
		}
	}
	delete(d.liveLoaded, accountID)
	if err != nil {
		d.log.Warn("dialler: campaigns of an account given up not read", "account", accountID, "err", err)
		return
	}
	for _, c := range campaigns {
		if p := d.power[c.ID]; p != nil && len(p.dialling) == 0 && p.answered == 0 {
			delete(d.power, c.ID)
		}
	}
}

// account does one round of an account: recover what a restart lost,
// start previews for idle members, dial the previews that are due.
func (d *Dialer) account(ctx context.Context, account int64, campaigns []*callfloor.Campaign) error {
	now := d.cfg.Clock.Now()
	var st agentsNow
	if err := d.cfg.Floor.View(ctx, account, func(s *floor.State, cfg *floor.Config) { st = snapshotAgents(s, cfg) }); err != nil {
		return err
	}
	d.recover(ctx, account, st, campaigns, now)
	d.loadLive(ctx, account, now)
	// Power campaigns first: the members they count on for their calls
	// in progress are not shown a preview meanwhile.
	claimed := map[int64]bool{}
	for _, c := range campaigns {
		if c.Type == callfloor.CampaignPower && c.Active && d.cfg.Phones != nil {
			d.powerRound(ctx, account, c, st, claimed, now)
		}
	}
	for _, c := range campaigns {
		if c.Type != callfloor.CampaignPreview || !c.Active {
			continue
		}
		for _, m := range c.Members {
			a, ok := st[m.ExtensionID]
			if !ok || m.OnHold || !a.free || claimed[m.ExtensionID] {
				continue
			}
			if d.startPreview(ctx, account, c, m.ExtensionID, false, now) {
				claimed[m.ExtensionID] = true
			}
		}
	}
	for _, k := range d.due(account, now) {
		if err := d.dial(ctx, k, "timer"); err != nil {
			d.log.Info("dialler: preview not dialled", "account", account, "ext", k.ext, "err", err)
		}
	}
	return nil
}

// agentsNow is what the dialler needs of the floor's agents.
type agentsNow map[int64]agentNow

type agentNow struct {
	free    bool // logged in, idle, phone ready: a preview may start
	preview *floor.Preview
	// leads are the campaign leads of the agent's lines and wrap-ups.
	leads map[int64]bool
}

func snapshotAgents(s *floor.State, cfg *floor.Config) agentsNow {
	out := agentsNow{}
	for ext := range cfg.Agents {
		a := s.Agent(ext)
		an := agentNow{leads: map[int64]bool{}}
		an.free = a.LoggedIn && a.State == callfloor.StateIdle && (!cfg.RequirePhone || a.PhoneRegistered)
		if a.Preview != nil {
			p := *a.Preview
			an.preview = &p
		}
		for _, l := range a.Lines {
			an.leads[l.Call.LeadID] = true
		}
		for _, w := range a.Wrapups {
			an.leads[w.Call.LeadID] = true
		}
		out[ext] = an
	}
	return out
}

// openZones are the lead time zones of c within its calling hours at now
// ("" stands for the campaign's own zone).
func (d *Dialer) openZones(ctx context.Context, c *callfloor.Campaign, now time.Time) []string {
	d.mu.Lock()
	zc, ok := d.zones[c.ID]
	d.mu.Unlock()
	if !ok || now.Sub(zc.at) > zoneTTL || now.Before(zc.at) {
		zones, err := d.cfg.Store.LeadZones(ctx, c.ID)
		if err != nil {
			d.log.Warn("dialler: lead zones not read", "campaign", c.ID, "err", err)
			return nil
		}
		zc = zoneCache{zones: zones, at: now}
		d.mu.Lock()
		d.zones[c.ID] = zc
		d.mu.Unlock()
	}
	var open []string
	for _, z := range zc.zones {
		name := z
		if name == "" {
			name = c.TimeZone
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue
		}
		if c.CallingHours.Open(now, loc) {
			open = append(open, z)
		}
	}
	return open
}

// zoneTTL is how long a campaign's lead time zones are taken as known: a
// lead of a new zone waits up to this long to be dialled.
const zoneTTL = 15 * time.Second

// newCallID names a call the dialler places.
func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "cf-dl-" + hex.EncodeToString(b[:])
}
