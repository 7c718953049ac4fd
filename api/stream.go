package api

// streamRoutes is the realtime WebSocket stream.
func streamRoutes() []route { return nil }
