package leadimport

import (
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func testCampaign(t testing.TB) *callfloor.Campaign {
	c := callfloor.NewCampaign("Renewals", callfloor.CampaignPreview)
	c.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy", Required: true}, {Name: "renewal", Label: "Renewal", Type: callfloor.FieldDate}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

var mapping = Mapping{Name: "Full name", Numbers: []string{"Phone", "Mobile"}, Fields: map[string]string{"policy": "Policy No", "renewal": "Renews"},
	TimeZone: "Zone", Priority: "Prio"}

const file = "\ufeffFull name,Phone,Mobile,Policy No,Renews,Zone,Prio\n" +
	"Ada Lovelace,020 7946 0601,07700 900001,P-1,2027-01-31,Europe/London,5\n" +
	"Bad Number,020 7946 060x,,P-2,,,\n" +
	"No Policy,020 7946 0603,,,,,\n" +
	",020 7946 0604,,P-4,,,\n" +
	"Repeat,+44 20 7946 0601,,P-5,,,\n" +
	"\n" +
	"Grace Hopper,+1 415 555 0134,+1 415 555 0134,P-6,,America/Los_Angeles,\n" +
	"Bad Date,020 7946 0607,,P-7,31/01/2027,,\n" +
	"Bad Zone,020 7946 0608,,P-8,,Mars/Base,\n" +
	"Bad Prio,020 7946 0609,,P-9,,,high\n" +
	"Known,020 7946 0610,,P-10,,,\n" +
	"Short row,020 7946 0611\n"

func TestRead(t *testing.T) {
	c := testCampaign(t)
	known := func(ns []string) (map[string]bool, error) {
		out := map[string]bool{}
		for _, n := range ns {
			if n == "+442079460610" {
				out[n] = true
			}
		}
		return out, nil
	}
	res, err := Read([]byte(file), c, mapping, known)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 11 {
		t.Errorf("%d rows counted, want 11 (the blank line is none)", res.Rows)
	}
	var names []string
	for _, l := range res.Leads {
		names = append(names, l.Name)
	}
	if strings.Join(names, "|") != "Ada Lovelace|Grace Hopper" {
		t.Fatalf("leads %q", names)
	}
	ada, grace := res.Leads[0], res.Leads[1]
	if len(ada.Numbers) != 2 || ada.Numbers[0].Number != "+442079460601" || ada.Numbers[1].Number != "+447700900001" ||
		ada.Fields["policy"] != "P-1" || ada.Fields["renewal"] != "2027-01-31" || ada.TimeZone != "Europe/London" || ada.Priority != 5 {
		t.Errorf("ada %+v", ada)
	}
	if len(grace.Numbers) != 1 || grace.Numbers[0].Number != "+14155550134" {
		t.Errorf("a number in two columns is kept once: %+v", grace.Numbers)
	}
	want := []Refusal{
		{Row: 3, Code: callfloor.ErrInvalidField, Field: "numbers[0]"},
		{Row: 4, Code: callfloor.ErrFieldRequired, Field: "fields.policy"},
		{Row: 5, Code: callfloor.ErrFieldRequired, Field: "name"},
		{Row: 6, Code: ErrDuplicate, Field: "numbers"},
		{Row: 9, Code: callfloor.ErrInvalidField, Field: "fields.renewal"},
		{Row: 10, Code: callfloor.ErrInvalidField, Field: "time_zone"},
		{Row: 11, Code: callfloor.ErrInvalidField, Field: "priority"},
		{Row: 13, Code: callfloor.ErrFieldRequired, Field: "fields.policy"},
		{Row: 12, Code: ErrDuplicate, Field: "numbers"},
	}
	if len(res.Refused) != len(want) {
		t.Fatalf("refused %+v", res.Refused)
	}
	for i, w := range want {
		g := res.Refused[i]
		if g.Row != w.Row || g.Code != w.Code || g.Field != w.Field || g.Message == "" {
			t.Errorf("refusal %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestReadRefusesTheWholeFile(t *testing.T) {
	c := testCampaign(t)
	rows := []struct {
		name, data string
		m          Mapping
		field      string
	}{
		{"empty", "", mapping, "csv"},
		{"not utf-8", "Full name,Phone\n\xff\xfe,1\n", mapping, "csv"},
		{"bare quote", "Full name,Phone,Mobile,Policy No,Renews,Zone,Prio\nA \"b\" c,1,,,,,\n\"x", mapping, "csv"},
		{"missing column", "Full name,Phone\nA,1\n", mapping, "mapping.numbers[1]"},
		{"no name column", "Name,Phone,Mobile\n", Mapping{Name: "", Numbers: []string{"Phone"}}, "mapping.name"},
		{"no numbers", "Full name\n", Mapping{Name: "Full name"}, "mapping.numbers"},
		{"unknown field", "Full name,Phone\n", Mapping{Name: "Full name", Numbers: []string{"Phone"}, Fields: map[string]string{"shoe": "Phone"}}, "mapping.fields.shoe"},
	}
	for _, r := range rows {
		_, err := Read([]byte(r.data), c, r.m, nil)
		if callfloor.ErrorField(err) != r.field {
			t.Errorf("%s: %v (field %q), want field %q", r.name, err, callfloor.ErrorField(err), r.field)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(file))
	f.Add([]byte("Full name,Phone,Mobile,Policy No,Renews,Zone,Prio\n\"a,b\",\"1\n2\",,,,,\n"))
	c := testCampaign(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(data, c, mapping, nil)
		if err != nil {
			if callfloor.ErrorCode(err) == callfloor.ErrInternal {
				t.Fatalf("an internal error: %v", err)
			}
			return
		}
		if len(res.Leads)+len(res.Refused) != res.Rows {
			t.Fatalf("%d leads and %d refused of %d rows", len(res.Leads), len(res.Refused), res.Rows)
		}
		seen := map[string]bool{}
		for _, l := range res.Leads {
			if err := l.Validate(c); err != nil {
				t.Fatalf("an invalid lead passed: %v", err)
			}
			for _, n := range l.Numbers {
				if seen[n.Number] {
					t.Fatalf("number %s in two leads", n.Number)
				}
				seen[n.Number] = true
			}
		}
	})
}
