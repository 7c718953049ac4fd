package fanout

import (
	"encoding/json"
	"fmt"

	"github.com/callfloor/callfloor"
)

// batch is what one stream message carries: the events of one account,
// in order, First to Last. A batch without events is a notice: the
// account's events First to Last were journaled, but the publisher
// dropped them, so receivers read them from the journal. A live batch
// (on core NATS) has First and Last 0 and events of Seq 0.
type batch struct {
	AccountID int64             `json:"account_id"`
	First     int64             `json:"first"`
	Last      int64             `json:"last"`
	Events    []callfloor.Event `json:"events,omitempty"`
}

// maxNotice is the widest range one notice may name, so that a forged or
// corrupt message cannot make every receiver read a whole journal.
const maxNotice = 1 << 20

// encodeBatch encodes b.
func encodeBatch(b *batch) ([]byte, error) { return json.Marshal(b) }

// decodeBatch decodes and checks a message's data: one account's events
// of strictly increasing, consecutive sequence numbers from First to
// Last; a notice's range; or, when live, events of Seq 0.
func decodeBatch(data []byte, live bool) (*batch, error) {
	var b batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("fanout: batch: %w", err)
	}
	if err := b.check(live); err != nil {
		return nil, err
	}
	return &b, nil
}

// check reports what is wrong with b, if anything (see decodeBatch).
func (b *batch) check(live bool) error {
	if b.AccountID <= 0 {
		return fmt.Errorf("fanout: batch: account %d", b.AccountID)
	}
	for i := range b.Events {
		if e := &b.Events[i]; e.AccountID != b.AccountID {
			return fmt.Errorf("fanout: batch of account %d: event %d is of account %d", b.AccountID, i, e.AccountID)
		}
	}
	if live {
		if b.First != 0 || b.Last != 0 || len(b.Events) == 0 {
			return fmt.Errorf("fanout: live batch of account %d: range %d-%d, %d events", b.AccountID, b.First, b.Last, len(b.Events))
		}
		for i := range b.Events {
			if b.Events[i].Seq != 0 {
				return fmt.Errorf("fanout: live batch of account %d: event %d has seq %d", b.AccountID, i, b.Events[i].Seq)
			}
		}
		return nil
	}
	if b.First < 1 || b.Last < b.First {
		return fmt.Errorf("fanout: batch of account %d: range %d-%d", b.AccountID, b.First, b.Last)
	}
	if len(b.Events) == 0 {
		if b.Last-b.First >= maxNotice {
			return fmt.Errorf("fanout: notice of account %d: range %d-%d is too wide", b.AccountID, b.First, b.Last)
		}
		return nil
	}
	if int64(len(b.Events)) != b.Last-b.First+1 {
		return fmt.Errorf("fanout: batch of account %d: %d events for %d-%d", b.AccountID, len(b.Events), b.First, b.Last)
	}
	for i := range b.Events {
		if want := b.First + int64(i); b.Events[i].Seq != want {
			return fmt.Errorf("fanout: batch of account %d: event %d has seq %d, want %d", b.AccountID, i, b.Events[i].Seq, want)
		}
	}
	return nil
}
