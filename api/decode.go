package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/callfloor/callfloor"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// readBody reads a JSON request body of at most limit bytes. An empty
// body is an error unless optional.
func readBody(w http.ResponseWriter, r *http.Request, optional bool, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	ct := r.Header.Get("Content-Type")
	if r.ContentLength != 0 && ct != "" && !isJSON(ct) {
		return nil, unsupportedMedia()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(limit)
	case err != nil:
		return nil, errorf(callfloor.ErrInvalidJSON, "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil, nil
		}
		return nil, errorf(callfloor.ErrInvalidJSON, "this endpoint needs a JSON object as the request body")
	}
	if !isJSON(ct) {
		return nil, unsupportedMedia()
	}
	return body, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func tooLarge(limit int64) error {
	return errorf(callfloor.ErrPayloadTooLarge, "the request body is larger than %d bytes", limit)
}

func unsupportedMedia() error {
	return errorf(callfloor.ErrUnsupportedMedia, "send the request body as JSON with Content-Type: application/json")
}

// resourceInput is implemented by the input types that hold the writable
// fields of a resource: a body field that is in the resource but not in
// the input is read-only (field_read_only), not unknown.
type resourceInput interface {
	resource() any
}

// decodeStrict decodes body onto dst. Every field of the body must be a
// field of dst with a value of its JSON type; otherwise the error names the
// field: unknown_field, field_read_only, or invalid_json for a wrong type.
// Arrays replace what dst held; objects are merged into it.
func decodeStrict[T any](body []byte, dst *T) error {
	if len(body) == 0 {
		return nil
	}
	// JSON decoding would quietly turn broken text into U+FFFD: refuse it.
	if !utf8.Valid(body) {
		return errorf(callfloor.ErrInvalidJSON, "the request body is not valid UTF-8")
	}
	if !pairedSurrogates(body) {
		return errorf(callfloor.ErrInvalidJSON, "the request body has a \\u escape of half a UTF-16 surrogate pair")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(callfloor.ErrInvalidJSON, "the request body has more after its JSON value")
	}
	if _, ok := raw.(map[string]any); !ok {
		return errorf(callfloor.ErrInvalidJSON, "the request body must be a JSON object")
	}
	var res reflect.Type
	if ri, ok := any(dst).(resourceInput); ok {
		res = reflect.TypeOf(ri.resource())
	}
	v := reflect.ValueOf(dst).Elem()
	if err := checkJSON(raw, v.Type(), v, res, ""); err != nil {
		return err
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return errorf(callfloor.ErrInvalidJSON, "the request body does not fit this endpoint: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return errorf(callfloor.ErrInvalidJSON, "the request body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorf(callfloor.ErrInvalidJSON, "the request body is not valid JSON: it ends too early")
	}
	return errorf(callfloor.ErrInvalidJSON, "the request body is not valid JSON")
}

var timeType = reflect.TypeFor[time.Time]()

// checkJSON checks the decoded JSON value v against Go type t at path.
// target, when valid, is where v will be decoded: slices there are cleared
// so that an array replaces the old elements instead of merging into them.
// res is the matching type of the resource, to tell read-only fields.
func checkJSON(v any, t reflect.Type, target reflect.Value, res reflect.Type, path string) error {
	if v == nil {
		return nil // null: a pointer becomes nil, anything else is left as is
	}
	res = deref(res)
	switch {
	case t.Kind() == reflect.Pointer:
		return checkJSON(v, t.Elem(), reflect.Value{}, res, path)
	case t == timeType:
		if _, ok := v.(string); !ok {
			return wrongType(path, "a date-time string")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return wrongType(path, "an object")
		}
		fields := jsonFields(t)
		var resFields []jsonField
		if res != nil && res.Kind() == reflect.Struct {
			resFields = jsonFields(res)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := joinPath(path, k)
			f, ok := fieldNamed(fields, k)
			if !ok {
				if _, ro := fieldNamed(resFields, k); ro {
					return callfloor.FieldError(callfloor.ErrFieldReadOnly, p, "%s is read-only here", p)
				}
				return callfloor.FieldError(callfloor.ErrUnknownField, p, "%s is not a field of this request", p)
			}
			var ft reflect.Value
			if target.IsValid() {
				ft, _ = target.FieldByIndexErr(f.index)
			}
			var rt reflect.Type
			if rf, ok := fieldNamed(resFields, k); ok {
				rt = rf.typ
			}
			if err := checkJSON(obj[k], f.typ, ft, rt, p); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return wrongType(path, "an array")
		}
		if target.IsValid() && target.CanSet() {
			target.Set(reflect.Zero(t))
		}
		var re reflect.Type
		if res != nil && res.Kind() == reflect.Slice {
			re = res.Elem()
		}
		for i, e := range arr {
			if err := checkJSON(e, t.Elem(), reflect.Value{}, re, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrongType(path, "a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrongType(path, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return wrongType(path, "an integer")
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if errors.Is(err, strconv.ErrSyntax) {
			return wrongType(path, "an integer")
		}
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return callfloor.FieldError(callfloor.ErrInvalidField, path, "%s is out of range", path)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return wrongType(path, "a number")
		}
	}
	return nil
}

func wrongType(path, want string) error {
	return callfloor.FieldError(callfloor.ErrInvalidJSON, path, "%s must be %s", path, want)
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// pairedSurrogates reports whether every \\u escape of a UTF-16
// surrogate in body is half of a pair (JSON decoding would replace a
// lone one with U+FFFD).
func pairedSurrogates(body []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+4 > len(body) {
			return 0, false
		}
		var r rune
		for _, c := range body[i : i+4] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		if body[i+1] != 'u' {
			i++ // an escaped character, maybe a backslash
			continue
		}
		r, ok := hex4(i + 2)
		if !ok {
			return true // not an escape the decoder takes: it reports it
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low half with no high half before it
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
				return false
			}
			low, ok := hex4(i + 8)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return false
			}
			i += 11
		default:
			i += 5
		}
	}
	return true
}
