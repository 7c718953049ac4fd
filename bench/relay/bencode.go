package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Bencode, the encoding of rtpengine's ng protocol: byte strings
// ("4:spam"), integers ("i42e"), lists ("l...e") and dictionaries
// ("d...e", keys are byte strings in sorted order). Values in Go: string,
// int64, []any and map[string]any.

// maxDepth bounds the nesting a decoder accepts, so that a hostile
// message cannot exhaust the stack.
const maxDepth = 32

var errBencode = errors.New("bencode: malformed")

// appendBencode appends the encoding of v (string, []byte, int, int64,
// []any, []string or map[string]any) to b.
func appendBencode(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(v)), 10)
		return append(append(b, ':'), v...), nil
	case []byte:
		b = strconv.AppendInt(b, int64(len(v)), 10)
		return append(append(b, ':'), v...), nil
	case int:
		return append(strconv.AppendInt(append(b, 'i'), int64(v), 10), 'e'), nil
	case int64:
		return append(strconv.AppendInt(append(b, 'i'), v, 10), 'e'), nil
	case []string:
		b = append(b, 'l')
		for _, s := range v {
			b, _ = appendBencode(b, s)
		}
		return append(b, 'e'), nil
	case []any:
		b = append(b, 'l')
		for _, e := range v {
			var err error
			if b, err = appendBencode(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, 'd')
		for _, k := range keys {
			b, _ = appendBencode(b, k)
			var err error
			if b, err = appendBencode(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	default:
		return nil, fmt.Errorf("bencode: cannot encode %T", v)
	}
}

// decodeBencode decodes the one value b holds; bytes after it are an
// error.
func decodeBencode(b []byte) (any, error) {
	v, rest, err := decodeValue(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the value", errBencode, len(rest))
	}
	return v, nil
}

// decodeValue decodes the value at the start of b and returns what
// follows it.
func decodeValue(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: unexpected end", errBencode)
	}
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", errBencode, maxDepth)
	}
	switch c := b[0]; {
	case c == 'i':
		end := slices.Index(b, 'e')
		if end < 0 {
			return nil, nil, fmt.Errorf("%w: unterminated integer", errBencode)
		}
		digits := b[1:end]
		// No leading zeros, no "-0", no empty or signed-only integer.
		if len(digits) == 0 || digits[0] == '+' || digits[0] == '-' && (len(digits) == 1 || digits[1] == '0') ||
			digits[0] == '0' && len(digits) > 1 {
			return nil, nil, fmt.Errorf("%w: integer %q", errBencode, digits)
		}
		n, err := strconv.ParseInt(string(digits), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: integer %q", errBencode, digits)
		}
		return n, b[end+1:], nil
	case c >= '0' && c <= '9':
		s, rest, err := decodeString(b)
		return s, rest, err
	case c == 'l':
		list := []any{}
		b = b[1:]
		for {
			if len(b) == 0 {
				return nil, nil, fmt.Errorf("%w: unterminated list", errBencode)
			}
			if b[0] == 'e' {
				return list, b[1:], nil
			}
			v, rest, err := decodeValue(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			list, b = append(list, v), rest
		}
	case c == 'd':
		dict := map[string]any{}
		b = b[1:]
		for {
			if len(b) == 0 {
				return nil, nil, fmt.Errorf("%w: unterminated dictionary", errBencode)
			}
			if b[0] == 'e' {
				return dict, b[1:], nil
			}
			k, rest, err := decodeString(b)
			if err != nil {
				return nil, nil, err
			}
			if _, dup := dict[k]; dup {
				return nil, nil, fmt.Errorf("%w: key %q twice", errBencode, k)
			}
			v, rest, err := decodeValue(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			dict[k], b = v, rest
		}
	default:
		return nil, nil, fmt.Errorf("%w: unexpected %q", errBencode, c)
	}
}

// decodeString decodes the byte string at the start of b.
func decodeString(b []byte) (string, []byte, error) {
	colon := slices.Index(b, ':')
	if colon <= 0 || colon > 10 {
		return "", nil, fmt.Errorf("%w: bad string length", errBencode)
	}
	digits := b[:colon]
	if digits[0] == '0' && len(digits) > 1 {
		return "", nil, fmt.Errorf("%w: string length %q", errBencode, digits)
	}
	n := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return "", nil, fmt.Errorf("%w: string length %q", errBencode, digits)
		}
		n = n*10 + int(d-'0')
	}
	rest := b[colon+1:]
	if n > len(rest) {
		return "", nil, fmt.Errorf("%w: string of %d bytes, %d left", errBencode, n, len(rest))
	}
	return string(rest[:n]), rest[n:], nil
}
