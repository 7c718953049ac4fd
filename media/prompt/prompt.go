package prompt

import (
	"embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/tone"
)

// The recordings, one file a clip, named after what they say.
//
//go:embed audio/*.ulaw
var audio embed.FS

// Names of the clips Position speaks besides the numbers.
const (
	callerNumber = "you-are-caller-number"
	pleaseHold   = "please-hold"
)

// Numbers from 1 to 99 are spoken as one of the first nineteen, as a ten,
// or as a ten then a unit ("twenty", "three").
var (
	units = []string{"", "one", "two", "three", "four", "five", "six",
		"seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
		"fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty",
		"seventy", "eighty", "ninety"}
)

// Pauses, in samples.
const (
	wordGap     = tone.SampleRate * 60 / 1000  // between the words of a sentence
	sentenceGap = tone.SampleRate * 400 / 1000 // between the position and "please hold"
	tailGap     = tone.SampleRate * 250 / 1000 // after "please hold", before what comes next
)

// clips decodes every recording to linear PCM the first time one is
// needed. The map and its slices are shared by all generators and never
// written after that.
var clips = sync.OnceValue(func() map[string][]int16 {
	files, err := audio.ReadDir("audio")
	if err != nil {
		panic("prompt: embedded audio: " + err.Error())
	}
	m := make(map[string][]int16, len(files))
	for _, f := range files {
		b, err := audio.ReadFile("audio/" + f.Name())
		if err != nil {
			panic("prompt: embedded audio: " + err.Error())
		}
		pcm := make([]int16, len(b))
		g711.DecodePCMU(pcm, b)
		m[strings.TrimSuffix(f.Name(), ".ulaw")] = pcm
	}
	return m
})

// Position returns a generator that says "You are caller number n. Please
// hold.", pauses briefly, then plays then for ever. When n is outside 1 to
// 99 it says only "Please hold." A nil then means silence.
func Position(n int, then tone.Generator) tone.Generator {
	var segs []segment
	if words := numberWords(n); words != nil {
		segs = sentence(append([]string{callerNumber}, words...))
		segs = append(segs, segment{n: sentenceGap})
	}
	segs = append(segs, sentence([]string{pleaseHold})...)
	segs = append(segs, segment{n: tailGap})
	if then == nil {
		then = tone.Silence{}
	}
	return &player{segs: segs, then: then}
}

// Clip returns a generator that says the named clips one after another,
// with a short pause between each two, then plays silence; and how long
// the words and pauses last. The names are "you-are-caller-number",
// "please-hold", "one" to "nineteen" and "twenty", "thirty" and so on to
// "ninety". An unknown name is an error.
func Clip(names ...string) (tone.Generator, time.Duration, error) {
	for _, name := range names {
		if _, ok := clips()[name]; !ok {
			return nil, 0, fmt.Errorf("prompt: no clip named %q", name)
		}
	}
	p := &player{segs: sentence(names), then: tone.Silence{}}
	return p, time.Duration(p.length()) * time.Second / tone.SampleRate, nil
}

// numberWords returns the names of the clips that say n, or nil when n is
// outside 1 to 99.
func numberWords(n int) []string {
	switch {
	case n < 1 || n > 99:
		return nil
	case n < len(units):
		return []string{units[n]}
	case n%10 == 0:
		return []string{tens[n/10]}
	default:
		return []string{tens[n/10], units[n%10]}
	}
}

// sentence returns the named clips with a word gap between each two. The
// names must exist.
func sentence(names []string) []segment {
	var segs []segment
	for i, name := range names {
		if i > 0 {
			segs = append(segs, segment{n: wordGap})
		}
		pcm := clips()[name]
		segs = append(segs, segment{pcm: pcm, n: len(pcm)})
	}
	return segs
}

// digitWords are the clips that say each digit, one at a time.
var digitWords = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// NoAgent is the information message a power campaign plays to a person
// it called when no agent is free to take the call: an apology, then
// "To call us back, dial" and callBack digit by digit (anything but
// digits is not spoken; no digits leaves that sentence out), then
// goodbye; then silence. It returns how long the message lasts.
func NoAgent(callBack string) (tone.Generator, time.Duration) {
	segs := sentence([]string{"sorry-no-agent"})
	var digits []string
	for _, r := range callBack {
		if r >= '0' && r <= '9' {
			digits = append(digits, digitWords[r-'0'])
		}
	}
	if len(digits) > 0 {
		segs = append(segs, segment{n: sentenceGap})
		segs = append(segs, sentence(append([]string{"to-call-us-back"}, digits...))...)
	}
	segs = append(segs, segment{n: sentenceGap})
	segs = append(segs, sentence([]string{"goodbye"})...)
	segs = append(segs, segment{n: tailGap})
	p := &player{segs: segs, then: tone.Silence{}}
	return p, time.Duration(p.length()) * time.Second / tone.SampleRate
}
