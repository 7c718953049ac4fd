package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlstore"
)

// account is one seeded account: its agents and its pause reason.
type account struct {
	id     int64
	name   string
	reason int64
	agents []*agent
}

// agent is one agent of an account, driven through its API token.
type agent struct {
	acc   *account
	ext   int64
	token string
	// mu is held by the worker driving the agent; paused is the agent's
	// state as the last answer said.
	mu     sync.Mutex
	paused bool
}

// seedPass is every user's password; nobody logs in with it (the
// agents use API tokens), but a user needs one.
const seedPass = "bench-cluster-pass-1"

// seed creates n accounts through the store, each with perAccount agents
// (an extension with the agent feature and a user bound to it, with an
// API token) and a pause reason. API tokens, not logins: the login rate
// limit (per address and node) would make hundreds of logins slow.
func seed(ctx context.Context, st *sqlstore.Store, n, perAccount int) ([]*account, error) {
	hasher := password.New(password.Default)
	hash, err := hasher.Hash(seedPass)
	if err != nil {
		return nil, err
	}
	svc := auth.NewService(auth.Config{Store: st, Hasher: hasher})
	accs := make([]*account, n)
	errs := make(chan error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := seedAccount(ctx, st, svc, fmt.Sprintf("bench%d", i+1), perAccount, hash)
				if err != nil {
					errs <- fmt.Errorf("seeding account %d: %w", i+1, err)
					continue
				}
				accs[i] = a
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return accs, nil
}

func seedAccount(ctx context.Context, st *sqlstore.Store, svc *auth.Service, name string, perAccount int, hash string) (*account, error) {
	acc := &callfloor.Account{Name: name, TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: perAccount}
	if err := st.CreateAccount(ctx, acc); err != nil {
		return nil, err
	}
	a := &account{id: acc.ID, name: name}
	sys := callfloor.SystemContext(ctx, acc.ID)
	p := &callfloor.PauseReason{Name: "Break", Code: 1}
	if err := st.CreatePauseReason(sys, p); err != nil {
		return nil, err
	}
	a.reason = p.ID
	for i := range perAccount {
		num := fmt.Sprint(201 + i)
		e := &callfloor.Extension{Number: num, Name: "Agent " + num, SIPUsername: callfloor.NewSIPUsername(name + num),
			QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.SetSIPSecret(callfloor.DefaultSIPRealm, seedPass)
		if err := st.CreateExtension(sys, e); err != nil {
			return nil, err
		}
		ext := e.ID
		u := &callfloor.User{Username: fmt.Sprintf("agent%d", i+1), Name: "Agent " + num,
			Role: callfloor.RoleAgent, ExtensionID: &ext, PasswordHash: hash}
		if err := st.CreateUser(sys, u); err != nil {
			return nil, err
		}
		actx := callfloor.NewContext(ctx, callfloor.Actor{AccountID: acc.ID, UserID: u.ID, Role: callfloor.RoleAgent})
		token, _, err := svc.CreateAPIToken(actx, "bench-cluster")
		if err != nil {
			return nil, err
		}
		a.agents = append(a.agents, &agent{acc: a, ext: ext, token: token})
	}
	return a, nil
}
