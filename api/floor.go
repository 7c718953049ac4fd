package api

// floorRoutes are the floor engine's endpoints: agent and supervisor
// commands, the floor's state, time and attendance, and the simulated
// telephony plane.
func floorRoutes() []route { return nil }
