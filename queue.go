package callfloor

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Strategy is how a queue picks the member to offer a call to.
type Strategy string

// Strategies.
const (
	StrategyRingAll     Strategy = "ring_all"
	StrategyLongestIdle Strategy = "longest_idle"
	StrategyRoundRobin  Strategy = "round_robin"
	StrategyFewestCalls Strategy = "fewest_calls"
	StrategyRandom      Strategy = "random"
)

// Strategies lists every valid strategy.
var Strategies = []Strategy{StrategyRingAll, StrategyLongestIdle, StrategyRoundRobin, StrategyFewestCalls, StrategyRandom}

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool {
	for _, v := range Strategies {
		if s == v {
			return true
		}
	}
	return false
}

// OverflowAction is what happens to a caller when the queue's limits are
// reached.
type OverflowAction string

// Overflow actions.
const (
	OverflowHangup    OverflowAction = "hangup"
	OverflowQueue     OverflowAction = "queue"
	OverflowExtension OverflowAction = "extension"
)

// OverflowActions lists every valid overflow action.
var OverflowActions = []OverflowAction{OverflowHangup, OverflowQueue, OverflowExtension}

// Valid reports whether a is a known action.
func (a OverflowAction) Valid() bool {
	return a == OverflowHangup || a == OverflowQueue || a == OverflowExtension
}

// MemberKind tells agents from participants; it follows from the member
// extension's Agent tab.
type MemberKind string

// Member kinds.
const (
	MemberAgent       MemberKind = "agent"
	MemberParticipant MemberKind = "participant"
)

// QueueMember is an extension that takes the queue's calls.
type QueueMember struct {
	ExtensionID int64 `json:"extension_id"`
	// Number and Kind are filled in by the store, read-only.
	Number string     `json:"number"`
	Kind   MemberKind `json:"kind"`
	// Penalty: members with a lower penalty are offered calls first.
	Penalty int `json:"penalty"`
}

// Queue is an ACD queue: inbound calls wait in it; it is also what an
// agent's manual outbound calls are counted against.
type Queue struct {
	ID                 int64    `json:"id"`
	AccountID          int64    `json:"account_id"`
	Number             string   `json:"number"`
	Name               string   `json:"name"`
	Strategy           Strategy `json:"strategy"`
	RingTimeoutSeconds int      `json:"ring_timeout_seconds"`
	// MaxWaitSeconds and MaxCallers of 0 mean unlimited.
	MaxWaitSeconds int            `json:"max_wait_seconds"`
	MaxCallers     int            `json:"max_callers"`
	OverflowAction OverflowAction `json:"overflow_action"`
	// OverflowTargetID is the queue or extension for those actions.
	OverflowTargetID *int64 `json:"overflow_target_id"`
	// ServiceLevelSeconds is the answer-within threshold of service level.
	ServiceLevelSeconds int `json:"service_level_seconds"`
	// MissedOffersPause pauses an agent automatically after this many
	// missed offers in a row; 0 disables it.
	MissedOffersPause   int  `json:"missed_offers_pause"`
	AnnouncePosition    bool `json:"announce_position"`
	DispositionsEnabled bool `json:"dispositions_enabled"`
	// ParticipantCallWaiting: participants who are on a call may still be
	// offered this queue's calls; agents never are.
	ParticipantCallWaiting bool `json:"participant_call_waiting"`
	// Outcomes is the queue's disposition list.
	Outcomes  []Outcome     `json:"outcomes"`
	Members   []QueueMember `json:"members"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// NewQueue returns a queue with the defaults an administrator would expect.
func NewQueue(number, name string) *Queue {
	return &Queue{
		Number: number, Name: name, Strategy: StrategyLongestIdle,
		RingTimeoutSeconds: 20, OverflowAction: OverflowHangup,
		ServiceLevelSeconds: 20, ParticipantCallWaiting: false,
		Outcomes: []Outcome{}, Members: []QueueMember{},
	}
}

// Validate checks the queue's own fields.
func (q *Queue) Validate() error {
	q.Name = strings.TrimSpace(q.Name)
	if err := checkExtensionNumber("number", q.Number); err != nil {
		return err
	}
	if err := checkName("name", q.Name, 100); err != nil {
		return err
	}
	if !q.Strategy.Valid() {
		return FieldError(ErrInvalidField, "strategy", "strategy must be one of ring_all, longest_idle, round_robin, fewest_calls, random")
	}
	checks := []struct {
		field    string
		v, lo, h int
	}{
		{"ring_timeout_seconds", q.RingTimeoutSeconds, 5, 300},
		{"max_wait_seconds", q.MaxWaitSeconds, 0, 24 * 3600},
		{"max_callers", q.MaxCallers, 0, 10000},
		{"service_level_seconds", q.ServiceLevelSeconds, 1, 3600},
		{"missed_offers_pause", q.MissedOffersPause, 0, 100},
	}
	for _, c := range checks {
		if err := checkRange(c.field, c.v, c.lo, c.h); err != nil {
			return err
		}
	}
	if q.OverflowAction == "" {
		q.OverflowAction = OverflowHangup
	}
	if !q.OverflowAction.Valid() {
		return FieldError(ErrInvalidField, "overflow_action", "overflow_action must be hangup, queue or extension")
	}
	if (q.OverflowAction == OverflowHangup) != (q.OverflowTargetID == nil) {
		return FieldError(ErrInvalidField, "overflow_target_id", "overflow_target_id is needed for queue and extension overflow, and only for them")
	}
	if q.Outcomes == nil {
		q.Outcomes = []Outcome{}
	}
	if err := ValidateOutcomes("outcomes", q.Outcomes); err != nil {
		return err
	}
	if q.DispositionsEnabled && len(q.Outcomes) == 0 {
		return FieldError(ErrFieldRequired, "outcomes", "a queue with dispositions enabled needs at least one outcome")
	}
	if q.Members == nil {
		q.Members = []QueueMember{}
	}
	seen := map[int64]bool{}
	for i, m := range q.Members {
		f := fmt.Sprintf("members[%d]", i)
		if seen[m.ExtensionID] {
			return FieldError(ErrInvalidField, f+".extension_id", "extension %d is a member twice", m.ExtensionID)
		}
		seen[m.ExtensionID] = true
		if err := checkRange(f+".penalty", m.Penalty, 0, 100); err != nil {
			return err
		}
	}
	return nil
}

// QueueService manages the queues of the caller's account.
type QueueService interface {
	CreateQueue(ctx context.Context, q *Queue) error
	FindQueueByID(ctx context.Context, id int64) (*Queue, error)
	ListQueues(ctx context.Context) ([]*Queue, error)
	// UpdateQueue loads, lets fn change and stores the queue (members and
	// outcomes included) in one transaction.
	UpdateQueue(ctx context.Context, id int64, fn func(*Queue) error) (*Queue, error)
	DeleteQueue(ctx context.Context, id int64) error
}
