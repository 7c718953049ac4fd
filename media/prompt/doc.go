// Package prompt plays the spoken announcements: a queue caller's
// position ("You are caller number three. Please hold.") followed by
// whatever the caller hears next, usually the music on hold; and the
// information message of a power campaign's call that no agent was free
// to take (NoAgent), with the number to call back. Its sounds
// are Generators of package tone: 8 kHz 16-bit linear PCM, filled 20 ms at
// a time.
//
// The words are recordings embedded in the binary (audio/*.ulaw, raw G.711
// mu-law at 8 kHz), so nothing is spoken or read from disk at run time.
// They were rendered once by the espeak-ng speech synthesiser and converted
// with SoX, by scripts/gen-prompts, which makes the same files again from
// text. espeak-ng is a GPL program, but the audio it outputs is ours to ship;
// neither program is needed to build, test or run callfloor.
package prompt
