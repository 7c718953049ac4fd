package api

import (
	"reflect"
	"strings"
)

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name      string
	index     []int
	typ       reflect.Type
	omitempty bool
	// required marks an input field a create request must have; it comes
	// from the `api:"required"` tag and only documents (the domain's
	// Validate enforces).
	required bool
}

// jsonFields lists the JSON fields of struct type t, with the fields of
// embedded structs promoted as encoding/json does (an outer field wins
// over an embedded one of the same name).
func jsonFields(t reflect.Type) []jsonField {
	var out, promoted []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for _, ef := range jsonFields(ft) {
					ef.index = append([]int{i}, ef.index...)
					promoted = append(promoted, ef)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{
			name:      name,
			index:     f.Index,
			typ:       f.Type,
			omitempty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,"),
			required:  f.Tag.Get("api") == "required",
		})
	}
	for _, pf := range promoted {
		if _, dup := fieldNamed(out, pf.name); !dup {
			out = append(out, pf)
		}
	}
	return out
}

func fieldNamed(fields []jsonField, name string) (jsonField, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return jsonField{}, false
}

// deref strips pointers.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
