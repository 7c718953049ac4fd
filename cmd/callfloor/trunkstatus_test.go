package main

import (
	"slices"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/trunk"
)

// The API's registration states are the trunk client's, by name: a state
// the client reports that the API does not list would reach integrators
// outside the documented enum.
func TestTrunkStatesMatch(t *testing.T) {
	for _, s := range []trunk.State{trunk.StateRegistering, trunk.StateRegistered, trunk.StateFailing} {
		if !slices.Contains(callfloor.TrunkStates, callfloor.TrunkState(s)) {
			t.Errorf("trunk state %q is not in callfloor.TrunkStates %v", s, callfloor.TrunkStates)
		}
	}
}
