package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// public marks a route that needs no credentials.
const public callfloor.Role = ""

// route is one endpoint of the API. The table below is the only list of
// endpoints: the mux, the role checks, the OpenAPI document and the
// isolation tests are all generated from it.
type route struct {
	Method string
	// Path is a net/http ServeMux pattern path; {id} is a positive integer.
	Path string
	// Role is the least role that may call the route; public for none.
	Role callfloor.Role
	// Status is the status of a successful answer.
	Status int
	// Op is the OpenAPI operationId; Tag groups operations.
	Op, Tag, Summary string
	ep               endpoint
}

func (rt route) pattern() string { return rt.Method + " " + rt.Path }

const (
	sup   = callfloor.RoleSupervisor
	admin = callfloor.RoleAdmin
	agent = callfloor.RoleAgent
)

// routeTable lists every endpoint.
func routeTable() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		none    = http.StatusNoContent
	)
	base := []route{
		{"GET", "/healthz", public, ok, "health", "system", "Check that the server and its database answer", read((*Server).health)},
		{"GET", "/metrics", public, ok, "metrics", "system", "Prometheus metrics", read((*Server).serveMetrics)},
		{"GET", "/api/v1/openapi.json", public, ok, "openapi", "system", "This API's OpenAPI 3.1 document", read((*Server).serveOpenAPI)},

		{"POST", "/api/v1/auth/login", public, ok, "login", "auth", "Log in; sets the session cookie and returns the session token", write((*Server).login)},
		{"POST", "/api/v1/auth/logout", agent, none, "logout", "auth", "End the current session", read((*Server).logout)},
		{"GET", "/api/v1/auth/me", agent, ok, "me", "auth", "The calling user, the account and the user's extension", read((*Server).me)},
		{"PUT", "/api/v1/auth/password", agent, none, "changePassword", "auth", "Change one's own password; ends one's other sessions", write((*Server).changePassword)},

		{"GET", "/api/v1/account", sup, ok, "getAccount", "account", "The caller's account", read((*Server).getAccount)},
		{"PATCH", "/api/v1/account", admin, ok, "updateAccount", "account", "Rename the account or change its time zone", write((*Server).updateAccount)},

		{"GET", "/api/v1/users", sup, ok, "listUsers", "users", "List the account's users", read((*Server).listUsers)},
		{"POST", "/api/v1/users", admin, created, "createUser", "users", "Create a user with a password", write((*Server).createUser)},
		{"GET", "/api/v1/users/{id}", sup, ok, "getUser", "users", "Get a user", read((*Server).getUser)},
		{"PATCH", "/api/v1/users/{id}", admin, ok, "updateUser", "users", "Change a user; disabling ends the user's sessions", write((*Server).updateUser)},
		{"DELETE", "/api/v1/users/{id}", admin, none, "deleteUser", "users", "Delete a user with its sessions and API tokens", read((*Server).deleteUser)},
		{"POST", "/api/v1/users/{id}/password", admin, none, "resetUserPassword", "users", "Set a user's password; ends the user's sessions", write((*Server).resetUserPassword)},

		{"GET", "/api/v1/tokens", admin, ok, "listTokens", "tokens", "List the account's API tokens", read((*Server).listTokens)},
		{"POST", "/api/v1/tokens", admin, created, "createToken", "tokens", "Create an API token acting as the caller; the token is shown only in this answer", write((*Server).createToken)},
		{"DELETE", "/api/v1/tokens/{id}", admin, none, "deleteToken", "tokens", "Revoke an API token", read((*Server).deleteToken)},

		{"GET", "/api/v1/extensions", sup, ok, "listExtensions", "extensions", "List the account's extensions", read((*Server).listExtensions)},
		{"POST", "/api/v1/extensions", admin, created, "createExtension", "extensions", "Create an extension; its SIP secret is shown only in this answer", write((*Server).createExtension)},
		{"GET", "/api/v1/extensions/{id}", sup, ok, "getExtension", "extensions", "Get an extension", read((*Server).getExtension)},
		{"PATCH", "/api/v1/extensions/{id}", admin, ok, "updateExtension", "extensions", "Change an extension", write((*Server).updateExtension)},
		{"DELETE", "/api/v1/extensions/{id}", admin, none, "deleteExtension", "extensions", "Delete an extension", read((*Server).deleteExtension)},
		{"PUT", "/api/v1/extensions/{id}/agent", admin, ok, "putExtensionAgent", "extensions", "Replace the extension's Agent tab; omitted fields take their defaults", write((*Server).putExtensionAgent)},
		{"POST", "/api/v1/extensions/{id}/sip-secret", admin, ok, "resetSIPSecret", "extensions", "Set a new SIP secret, given or generated; shown only in this answer", write((*Server).resetSIPSecret).optional()},

		{"GET", "/api/v1/pause-reasons", agent, ok, "listPauseReasons", "pause-reasons", "List the account's pause reasons", read((*Server).listPauseReasons)},
		{"POST", "/api/v1/pause-reasons", admin, created, "createPauseReason", "pause-reasons", "Create a pause reason", write((*Server).createPauseReason)},
		{"GET", "/api/v1/pause-reasons/{id}", sup, ok, "getPauseReason", "pause-reasons", "Get a pause reason", read((*Server).getPauseReason)},
		{"PATCH", "/api/v1/pause-reasons/{id}", admin, ok, "updatePauseReason", "pause-reasons", "Change a pause reason (not the system one)", write((*Server).updatePauseReason)},
		{"DELETE", "/api/v1/pause-reasons/{id}", admin, none, "deletePauseReason", "pause-reasons", "Delete a pause reason (not the system one)", read((*Server).deletePauseReason)},

		{"GET", "/api/v1/queues", sup, ok, "listQueues", "queues", "List the account's queues with members and outcomes", read((*Server).listQueues)},
		{"POST", "/api/v1/queues", admin, created, "createQueue", "queues", "Create a queue", write((*Server).createQueue)},
		{"GET", "/api/v1/queues/stats", sup, ok, "queueStats", "queues", "The queues' live figures: callers waiting, longest wait, answered, abandoned, service level, average speed of answer (since midnight)", read((*Server).queueStats)},
		{"GET", "/api/v1/queues/{id}", sup, ok, "getQueue", "queues", "Get a queue", read((*Server).getQueue)},
		{"PATCH", "/api/v1/queues/{id}", admin, ok, "updateQueue", "queues", "Change a queue; members and outcomes given are replaced whole", write((*Server).updateQueue)},
		{"DELETE", "/api/v1/queues/{id}", admin, none, "deleteQueue", "queues", "Delete a queue", read((*Server).deleteQueue)},

		{"GET", "/api/v1/directory", agent, ok, "listDirectory", "directory", "List the account's directory entries", read((*Server).listDirectory)},
		{"POST", "/api/v1/directory", admin, created, "createDirectoryEntry", "directory", "Create a directory entry", write((*Server).createDirectoryEntry)},
		{"GET", "/api/v1/directory/{id}", sup, ok, "getDirectoryEntry", "directory", "Get a directory entry", read((*Server).getDirectoryEntry)},
		{"PATCH", "/api/v1/directory/{id}", admin, ok, "updateDirectoryEntry", "directory", "Change a directory entry", write((*Server).updateDirectoryEntry)},
		{"DELETE", "/api/v1/directory/{id}", admin, none, "deleteDirectoryEntry", "directory", "Delete a directory entry", read((*Server).deleteDirectoryEntry)},

		{"GET", "/api/v1/caller-id-pools", sup, ok, "listCallerIDPools", "caller-id-pools", "List the account's caller-ID pools", read((*Server).listCallerIDPools)},
		{"POST", "/api/v1/caller-id-pools", admin, created, "createCallerIDPool", "caller-id-pools", "Create a caller-ID pool", write((*Server).createCallerIDPool)},
		{"GET", "/api/v1/caller-id-pools/{id}", sup, ok, "getCallerIDPool", "caller-id-pools", "Get a caller-ID pool", read((*Server).getCallerIDPool)},
		{"PATCH", "/api/v1/caller-id-pools/{id}", admin, ok, "updateCallerIDPool", "caller-id-pools", "Change a caller-ID pool", write((*Server).updateCallerIDPool)},
		{"DELETE", "/api/v1/caller-id-pools/{id}", admin, none, "deleteCallerIDPool", "caller-id-pools", "Delete a caller-ID pool", read((*Server).deleteCallerIDPool)},
	}
	routes := append(base, floorRoutes()...)
	routes = append(routes, lookupRoutes()...)
	routes = append(routes, trunkRoutes()...)
	routes = append(routes, historyRoutes()...)
	routes = append(routes, campaignRoutes()...)
	routes = append(routes, leadRoutes()...)
	routes = append(routes, myLeadRoutes()...)
	routes = append(routes, mappingRoutes()...)
	routes = append(routes, customerRoutes()...)
	routes = append(routes, webhookButtonRoutes()...)
	routes = append(routes, reportRoutes()...)
	routes = append(routes, reportMailRoutes()...)
	routes = append(routes, webhookRoutes()...)
	return append(routes, streamRoutes()...)
}
