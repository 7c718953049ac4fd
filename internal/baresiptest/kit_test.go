package baresiptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/tone"
)

// wav returns a WAV file of samples whose sizes are dataSize (0 while
// baresip still writes it).
func wav(samples []int16, dataSize uint32) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(8))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // format PCM, mono, 8 kHz, 16 bits
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, dataSize)
	_ = binary.Write(&b, binary.LittleEndian, samples)
	return b.Bytes()
}

// TestReadWAV reads a dump being written (sizes 0) and a finished one,
// and measures its tone.
func TestReadWAV(t *testing.T) {
	s := make([]int16, 8000)
	tone.NewSine(1000, -10).Fill(s)
	for _, size := range []uint32{0, 16000} {
		name := filepath.Join(t.TempDir(), "dump-dec.wav")
		if err := os.WriteFile(name, wav(s, size), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := readWAV(name)
		if err != nil {
			t.Fatal(err)
		}
		if a.Duration() != time.Second {
			t.Errorf("size %d: duration %v, want 1s", size, a.Duration())
		}
		w := a.Last(200 * time.Millisecond)
		if w.Duration() != 200*time.Millisecond {
			t.Errorf("last 200ms lasts %v", w.Duration())
		}
		if d := w.Dominant(440, 1000); d != 1000 || w.Level(1000) < 5000 {
			t.Errorf("dominant %v Hz, level %.0f; want 1000 Hz, about 10000", d, w.Level(1000))
		}
	}
}

func TestNetstring(t *testing.T) {
	b := appendNetstring(nil, []byte(`{"command":"dial"}`))
	if string(b) != `18:{"command":"dial"},` {
		t.Fatalf("netstring %q", b)
	}
	got, err := readNetstring(bufio.NewReader(bytes.NewReader(append(b, b...))))
	if err != nil || string(got) != `{"command":"dial"}` {
		t.Fatalf("read %q, %v", got, err)
	}
	if _, err := readNetstring(bufio.NewReader(bytes.NewReader([]byte("3:abc;")))); err == nil {
		t.Error("a netstring without its comma was read")
	}
}

// TestEventLog: waits get the oldest matching event not handed out yet,
// including those that came before the wait, and nothing skipped.
func TestEventLog(t *testing.T) {
	l := newEventLog()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.add(Event{Type: CallClosed, Param: "first"})
	l.add(Event{Type: DTMFStart, Param: "1"})
	l.add(Event{Type: CallClosed, Param: "second"})
	for _, want := range []string{"first", "second"} {
		if e, err := l.wait(ctx, nil, Is(CallClosed)); err != nil || e.Param != want {
			t.Fatalf("got %v, %v; want %s", e, err, want)
		}
	}
	go l.add(Event{Type: CallClosed, Param: "third"})
	if e, err := l.wait(ctx, nil, Is(CallClosed)); err != nil || e.Param != "third" {
		t.Fatalf("got %v, %v; want third", e, err)
	}
	l.skip()
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if e, err := l.wait(short, nil, Is(DTMFStart)); err == nil {
		t.Errorf("got skipped event %v", e)
	}
}
