package callfloor

import "time"

// QueueStats are a queue's live figures for the realtime boards. The
// counters run from midnight in the account's time zone.
type QueueStats struct {
	QueueID int64  `json:"queue_id"`
	Number  string `json:"number"`
	Name    string `json:"name"`
	// Waiting is how many callers wait now; LongestWaitSeconds how long
	// the first of them has waited.
	Waiting            int     `json:"waiting"`
	LongestWaitSeconds float64 `json:"longest_wait_seconds"`
	// Ringing is how many members are being offered a call now;
	// Available how many members could be offered one.
	Ringing   int `json:"ringing"`
	Available int `json:"available"`
	// Answered, Abandoned and Overflowed count the callers who left the
	// queue today, by how. AnsweredInSL were answered within the queue's
	// service-level threshold.
	Answered     int `json:"answered"`
	AnsweredInSL int `json:"answered_in_sl"`
	Abandoned    int `json:"abandoned"`
	Overflowed   int `json:"overflowed"`
	// Outbound counts the agents' manual calls out placed through this
	// queue (their outbound queue) today.
	Outbound int `json:"outbound"`
	// ServiceLevel is AnsweredInSL over the callers answered or abandoned
	// today, in percent (100 when there were none).
	ServiceLevel float64 `json:"service_level"`
	// ASASeconds is the average speed of answer: the mean wait of the
	// callers answered today.
	ASASeconds float64 `json:"asa_seconds"`
	// AbandonWaitSeconds is the mean wait of the callers who abandoned.
	AbandonWaitSeconds float64   `json:"abandon_wait_seconds"`
	At                 time.Time `json:"at"`
}
