package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestErrorTableCoversCatalogue(t *testing.T) {
	catalogue := map[string]bool{}
	for _, e := range callfloor.Errors {
		catalogue[e.Code] = true
		if status, ok := errorStatus[e.Code]; !ok || status < 400 || status > 599 {
			t.Errorf("code %q has no error status (%d)", e.Code, status)
		}
	}
	for code := range errorStatus {
		if !catalogue[code] {
			t.Errorf("status table has code %q, which is not in callfloor.Errors", code)
		}
	}
}

func TestInternalErrorsAreLoggedNotSent(t *testing.T) {
	h := newHarness(t)
	r := httptest.NewRequest("GET", "/api/v1/x", nil)
	for _, err := range []error{
		errors.New("sqlite: disk I/O error at /secret/path"),
		callfloor.Errorf(callfloor.ErrInternal, "constraint users_secret_idx failed"),
		callfloor.Errorf("not_a_catalogue_code", "surprise"),
	} {
		w := httptest.NewRecorder()
		h.srv.writeError(w, r, err)
		wantError(t, w, http.StatusInternalServerError, callfloor.ErrInternal, "")
		if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "surprise") {
			t.Errorf("internal detail sent: %s", w.Body)
		}
		if !strings.Contains(h.logs.String(), err.Error()) {
			t.Errorf("internal error %q not logged", err)
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	h := newHarness(t)
	h.srv.mux.HandleFunc("GET /test/panic", func(http.ResponseWriter, *http.Request) { panic("boom at /secret") })
	w := h.do(req{method: "GET", path: "/test/panic"})
	wantError(t, w, http.StatusInternalServerError, callfloor.ErrInternal, "")
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("panic detail sent: %s", w.Body)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "boom at /secret") || !strings.Contains(logs, "status=500") {
		t.Errorf("panic not logged: %s", logs)
	}
}
