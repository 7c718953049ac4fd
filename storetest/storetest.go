// Package storetest is the one conformance suite of callfloor.Store. Every
// store implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) callfloor.Store { return openFresh(t) })
//	}
//
// Each subtest opens a fresh, empty store and asserts the exact error code
// and field of every rule the store enforces.
package storetest

import (
	"testing"

	"github.com/callfloor/callfloor"
)

// Opener returns a fresh, empty, migrated store, closed when t ends.
type Opener = func(t *testing.T) callfloor.Store

type test struct {
	name string
	fn   func(t *testing.T, st callfloor.Store)
}

// Run runs the conformance suite, one subtest per behaviour, each on a
// store of its own from open.
func Run(t *testing.T, open Opener) {
	groups := [][]test{
		accountTests, extensionTests, userTests, authTests, tokenTests,
		pauseTests, queueTests, directoryTests, poolTests,
		isolationTests, concurrencyTests, journalTests, sipTests,
		trunkTests, inboundTests, callHistoryTests, rollupTests, campaignTests, leadTests,
		reportTests, webhookTests, ownershipTests, clusterNodeTests,
	}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
		}
	}
}
