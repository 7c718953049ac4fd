//go:build linux

package kstamp

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Size is room enough for the arrival time's control message.
const Size = 64

// Enable asks the kernel to stamp every datagram arriving on fd.
func Enable(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// Arrival reads the kernel's arrival time (Unix ns) from a datagram's
// control messages, if they carry it.
func Arrival(oob []byte) (int64, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_TIMESTAMPNS {
			continue
		}
		switch d := m.Data; len(d) { // struct timespec, 64 or 32 bits
		case 16:
			return int64(binary.NativeEndian.Uint64(d))*1e9 + int64(binary.NativeEndian.Uint64(d[8:])), true
		case 8:
			return int64(int32(binary.NativeEndian.Uint32(d)))*1e9 + int64(int32(binary.NativeEndian.Uint32(d[4:]))), true
		}
	}
	return 0, false
}
