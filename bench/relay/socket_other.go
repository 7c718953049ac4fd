//go:build !linux

package main

import (
	"errors"
	"net/netip"
	"syscall"
)

// udpSocket is the generator's socket, which needs Linux (sendmmsg,
// recvmmsg, SO_TIMESTAMPNS).
type udpSocket struct{ addr netip.AddrPort }

var errUnsupported = errors.New("bench-relay runs on Linux only")

func openSocket(int, int) (*udpSocket, error)                     { return nil, errUnsupported }
func (s *udpSocket) close() error                                 { return nil }
func (s *udpSocket) send([][]byte, []netip.AddrPort) (int, error) { return 0, errUnsupported }
func (s *udpSocket) recv() (int, error)                           { return 0, errUnsupported }
func (s *udpSocket) datagram(int) ([]byte, int64, bool)           { return nil, 0, false }
func childAttr() *syscall.SysProcAttr                             { return nil }
