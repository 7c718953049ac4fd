package registrar

import (
	"context"
	"log/slog"
	"strings"
)

// redactHandler keeps secrets out of sipgo's logs: sipgo logs a whole
// datagram it cannot parse (attribute "data") and the header that failed
// (in "error"), either of which may carry an Authorization header. Such
// values are replaced by their length or a placeholder.
type redactHandler struct{ slog.Handler }

func redacted(l *slog.Logger) *slog.Logger { return slog.New(redactHandler{l.Handler()}) }

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" && r.Message == "failed to parse" {
			// The parser quotes the offending header, whatever it holds.
			a = slog.String("error", "[redacted parse error]")
		}
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i := range as {
		as[i] = redactAttr(as[i])
	}
	return redactHandler{h.Handler.WithAttrs(as)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch {
	case a.Key == "data":
		return slog.Int("data_bytes", len(v.String()))
	case v.Kind() == slog.KindString && strings.Contains(strings.ToLower(v.String()), "authoriz"):
		return slog.String(a.Key, "[redacted]")
	}
	return a
}
