package dtmf

// memory is how many recent events the Detector remembers, to recognise
// the late and retransmitted packets of events it already reported.
const memory = 16

// A Press is a key press recognised by a Detector.
type Press struct {
	Key       byte
	Timestamp uint32 // RTP timestamp of the event: the time it began
	Duration  uint16 // the longest duration seen, in RTP timestamp units
	// Ended is false when the end packets were lost and the press was
	// reported because a later event began (or on Flush).
	Ended bool
}

// A Detector turns the telephone-event packets of one RTP stream into key
// presses. An event is identified by its RTP timestamp, so the detector
// copes with a first packet of duration 0, retransmitted end packets,
// reordering and lost end packets: it reports each event exactly once,
// when its first end packet arrives or, failing that, when an event with a
// later timestamp begins. Packets of an event older than the latest one are
// late and ignored. The zero value is ready to use; it is not safe for
// concurrent use.
type Detector struct {
	cur     Press // the latest event
	started bool  // cur holds an event
	done    bool  // cur has been reported
	// recent holds the timestamps of the last reported events, so that
	// packets straggling in after a newer event began are not taken for a
	// new event.
	recent [memory]uint32
	nrec   int
}

// Feed gives the detector one telephone-event packet: its RTP timestamp,
// marker bit and payload. It appends the presses this packet completes to
// dst (at most two: a press whose end was lost, then this one) and returns
// it. A payload that does not parse is returned as an error and otherwise
// ignored.
func (d *Detector) Feed(dst []Press, ts uint32, marker bool, payload []byte) ([]Press, error) {
	_ = marker // the timestamp identifies events; the marker adds nothing reliable
	ev, err := Parse(payload)
	if err != nil {
		return dst, err
	}
	switch {
	case d.started && ts == d.cur.Timestamp:
		if d.done {
			return dst, nil // a retransmitted end or a straggler
		}
		d.cur.Duration = max(d.cur.Duration, ev.Duration)
	case d.seen(ts) || (d.started && int32(ts-d.cur.Timestamp) < 0):
		return dst, nil // belongs to an event before the latest
	default:
		dst = d.Flush(dst)
		d.cur = Press{Key: ev.Key, Timestamp: ts, Duration: ev.Duration}
		d.started, d.done = true, false
	}
	if ev.End {
		d.cur.Ended = true
		dst = d.Flush(dst)
	}
	return dst, nil
}

// Flush reports the latest event if it has not been reported yet, as when
// the stream stops without end packets; it appends it to dst.
func (d *Detector) Flush(dst []Press) []Press {
	if !d.started || d.done {
		return dst
	}
	d.done = true
	d.recent[d.nrec%memory] = d.cur.Timestamp
	d.nrec++
	return append(dst, d.cur)
}

func (d *Detector) seen(ts uint32) bool {
	for i := range min(d.nrec, memory) {
		if d.recent[i] == ts {
			return true
		}
	}
	return false
}
