// Package dtmf reads and writes DTMF digits as RFC 4733 telephone-events:
// Parse and Event.Marshal handle the 4-byte payload, a Detector turns the
// packets of a stream into key presses (each reported once, whatever the
// network did to the packets) and Generate plans the packets that send one.
package dtmf
