package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/callfloor/callfloor"
)

var concurrencyTests = []test{
	{"Concurrency/Licences", testConcurrentLicences},
	{"Concurrency/Numbers", testConcurrentNumbers},
	{"Concurrency/AccountNames", testConcurrentAccountNames},
	{"Concurrency/LastAdmin", testConcurrentLastAdmin},
}

// race runs n functions at once and counts the error codes they return
// ("" for success).
func race(n int, fn func(i int) error) map[string]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes := map[string]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			codes[callfloor.ErrorCode(err)]++
			if callfloor.ErrorCode(err) == callfloor.ErrInternal {
				codes[err.Error()]++
			}
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

func testConcurrentLicences(t *testing.T, st callfloor.Store) {
	const exts, licences = 20, 5
	a, ctx := agentAccount(t, st, "Acme", licences)
	var list []*callfloor.Extension
	for i := range exts {
		list = append(list, mustExt(t, st, ctx, fmt.Sprint(200+i), queuesOn))
	}
	codes := race(exts, func(i int) error {
		_, err := st.UpdateExtension(ctx, list[i].ID, func(x *callfloor.Extension) error { x.Agent.Enabled = true; return nil })
		return err
	})
	same(t, "results", codes, map[string]int{"": licences, callfloor.ErrLicenceExhausted: exts - licences})
	got, err := st.FindAccountByID(context.Background(), a.ID)
	ok(t, err)
	if got.AgentsInUse != licences {
		t.Fatalf("agents in use = %d, want %d", got.AgentsInUse, licences)
	}
}

func testConcurrentNumbers(t *testing.T, st callfloor.Store) {
	const n = 10
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	codes := race(n, func(i int) error {
		if i%2 == 0 {
			return st.CreateQueue(ctx, callfloor.NewQueue("777", "Q"))
		}
		return st.CreateExtension(ctx, ext("777"))
	})
	same(t, "results", codes, map[string]int{"": 1, callfloor.ErrNumberTaken: n - 1})
}

func testConcurrentAccountNames(t *testing.T, st callfloor.Store) {
	const n = 8
	codes := race(n, func(i int) error {
		return st.CreateAccount(context.Background(), &callfloor.Account{Name: fmt.Sprintf("Race%.*s", i%2, "!"), TimeZone: "UTC"})
	})
	same(t, "results", codes, map[string]int{"": 2, callfloor.ErrAccountNameTaken: n - 2})
	list, err := st.ListAccounts(context.Background())
	ok(t, err)
	if len(list) != 2 {
		t.Fatalf("%d accounts", len(list))
	}
}

func testConcurrentLastAdmin(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	admins := []*callfloor.User{
		mustUser(t, st, ctx, "one", callfloor.RoleAdmin, nil),
		mustUser(t, st, ctx, "two", callfloor.RoleAdmin, nil),
	}
	codes := race(2, func(i int) error {
		if i == 0 {
			return st.DeleteUser(ctx, admins[0].ID)
		}
		_, err := st.UpdateUser(ctx, admins[1].ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
		return err
	})
	same(t, "results", codes, map[string]int{"": 1, callfloor.ErrLastAdmin: 1})
}
