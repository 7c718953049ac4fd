// Package baresiptest runs baresip (Debian's baresip 1.0 softphone) as a
// real SIP peer in tests, the way net/http/httptest runs a server.
//
// New starts one baresip process with a configuration of its own in a
// temporary directory: SIP on a free loopback port, one account (with or
// without registration, answering by itself or waiting for Accept), G.711
// only, and audio without a sound card. The phone sends a sine of its own
// frequency (module ausine) and records what it receives to a WAV file
// (module sndfile), so that a test can tell with a Goertzel filter whose
// tone reached whom (Received, WaitTone).
//
// The test drives the phone over baresip's TCP control port (module
// ctrl_tcp: netstring-framed JSON): Dial, Accept, Hangup, Hold, Resume,
// SendDTMF (RFC 4733) and Transfer (a blind REFER); and waits for what
// baresip reports (registered, incoming, established, closed, DTMF
// received...) with WaitEvent. baresip 1.0 has no attended transfer.
//
// The process is killed, by its PID, when the test ends. When baresip is
// not installed the test is skipped, or fails when the environment
// variable CI is set (scripts/setup installs it).
package baresiptest
