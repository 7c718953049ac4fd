// Package dialer works campaigns' leads: it decides what happens to a
// lead after each call (rules.go), shows leads to idle agents of preview
// campaigns with a countdown kept on the server and dials them, and
// applies the agents' outcomes to the leads from the floor's journal.
package dialer
