// Package kstamp reads the time the kernel stamped a datagram with on
// arrival (SO_TIMESTAMPNS), for the media benchmarks: a frame's transit
// then ends when it reached the socket, not when the benchmark got round
// to reading it, so a reader that wakes late adds nothing to the delay
// measured.
package kstamp
