// Package rtp reads and writes the fixed header of RTP packets (RFC 3550)
// as the PBX's media code needs it: Parse skips CSRCs and header
// extensions and strips padding, returning the payload in place; Append
// writes a plain 12-byte version 2 header. Nothing here allocates.
package rtp
