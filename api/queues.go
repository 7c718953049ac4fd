package api

import (
	"context"
	"net/http"

	"github.com/callfloor/callfloor"
)

// queueInput is the writable part of a queue. Members and outcomes are
// lists replaced whole when given. An outcome's id is kept to say "this
// existing outcome" (renaming it keeps the records that point at it);
// a member's number and kind follow from its extension and are read-only.
type queueInput struct {
	Number              string                   `json:"number" api:"required"`
	Name                string                   `json:"name" api:"required"`
	Strategy            callfloor.Strategy       `json:"strategy"`
	RingTimeoutSeconds  int                      `json:"ring_timeout_seconds"`
	MaxWaitSeconds      int                      `json:"max_wait_seconds"`
	MaxCallers          int                      `json:"max_callers"`
	OverflowAction      callfloor.OverflowAction `json:"overflow_action"`
	OverflowTargetID    *int64                   `json:"overflow_target_id"`
	ServiceLevelSeconds int                      `json:"service_level_seconds"`
	MissedOffersPause   int                      `json:"missed_offers_pause"`
	AnnouncePosition    bool                     `json:"announce_position"`
	DispositionsEnabled bool                     `json:"dispositions_enabled"`
	// ParticipantCallWaiting lets participants who are on a call still be
	// offered this queue's calls; agents never are.
	ParticipantCallWaiting bool                `json:"participant_call_waiting"`
	Outcomes               []callfloor.Outcome `json:"outcomes"`
	Members                []memberInput       `json:"members"`
}

type memberInput struct {
	ExtensionID int64 `json:"extension_id" api:"required"`
	Penalty     int   `json:"penalty"`
}

func (queueInput) resource() any { return callfloor.Queue{} }

func (in *queueInput) from(q *callfloor.Queue) {
	*in = queueInput{
		Number: q.Number, Name: q.Name, Strategy: q.Strategy,
		RingTimeoutSeconds: q.RingTimeoutSeconds, MaxWaitSeconds: q.MaxWaitSeconds, MaxCallers: q.MaxCallers,
		OverflowAction: q.OverflowAction, OverflowTargetID: q.OverflowTargetID,
		ServiceLevelSeconds: q.ServiceLevelSeconds, MissedOffersPause: q.MissedOffersPause,
		AnnouncePosition: q.AnnouncePosition, DispositionsEnabled: q.DispositionsEnabled,
		ParticipantCallWaiting: q.ParticipantCallWaiting, Outcomes: q.Outcomes,
		Members: make([]memberInput, len(q.Members)),
	}
	for i, m := range q.Members {
		in.Members[i] = memberInput{ExtensionID: m.ExtensionID, Penalty: m.Penalty}
	}
}

func (in *queueInput) to(q *callfloor.Queue) {
	q.Number, q.Name, q.Strategy = in.Number, in.Name, in.Strategy
	q.RingTimeoutSeconds, q.MaxWaitSeconds, q.MaxCallers = in.RingTimeoutSeconds, in.MaxWaitSeconds, in.MaxCallers
	q.OverflowAction, q.OverflowTargetID = in.OverflowAction, in.OverflowTargetID
	q.ServiceLevelSeconds, q.MissedOffersPause = in.ServiceLevelSeconds, in.MissedOffersPause
	q.AnnouncePosition, q.DispositionsEnabled = in.AnnouncePosition, in.DispositionsEnabled
	q.ParticipantCallWaiting = in.ParticipantCallWaiting
	q.Outcomes = in.Outcomes
	q.Members = make([]callfloor.QueueMember, len(in.Members))
	for i, m := range in.Members {
		q.Members[i] = callfloor.QueueMember{ExtensionID: m.ExtensionID, Penalty: m.Penalty}
	}
}

func (s *Server) listQueues(_ http.ResponseWriter, r *http.Request) (list[*callfloor.Queue], error) {
	return listOf(s.store.ListQueues(r.Context()))
}

// QueueFigures is the ACD's view of the queues (dispatch.Dispatcher).
type QueueFigures interface {
	Stats(ctx context.Context, accountID int64) ([]callfloor.QueueStats, error)
}

func (s *Server) queueStats(_ http.ResponseWriter, r *http.Request) (list[callfloor.QueueStats], error) {
	if s.queues == nil {
		return list[callfloor.QueueStats]{}, errorf(callfloor.ErrTelephonyOff, "the server runs without its telephony plane, so queues take no calls")
	}
	return listOf(s.queues.Stats(r.Context(), actorOf(r).AccountID))
}

func (s *Server) getQueue(_ http.ResponseWriter, r *http.Request) (*callfloor.Queue, error) {
	id, err := pathID(r, "queue")
	if err != nil {
		return nil, err
	}
	return s.store.FindQueueByID(r.Context(), id)
}

func (s *Server) createQueue(_ http.ResponseWriter, r *http.Request, dec decoder[queueInput]) (*callfloor.Queue, error) {
	q := callfloor.NewQueue("", "")
	var in queueInput
	in.from(q)
	if err := dec(&in); err != nil {
		return nil, err
	}
	in.to(q)
	if err := s.store.CreateQueue(r.Context(), q); err != nil {
		return nil, err
	}
	return q, nil
}

func (s *Server) updateQueue(_ http.ResponseWriter, r *http.Request, dec decoder[queueInput]) (*callfloor.Queue, error) {
	id, err := pathID(r, "queue")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateQueue(r.Context(), id, func(q *callfloor.Queue) error {
		var in queueInput
		in.from(q)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(q)
		return nil
	})
}

func (s *Server) deleteQueue(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "queue")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteQueue(r.Context(), id)
}
