// Package api is callfloor's HTTP API: JSON over HTTP under /api/v1, plus
// /healthz and /metrics.
//
// Everything starts from one route table (routes.go): each route names its
// method and path, the least role that may call it, its handler and, through
// the handler's Go types, its request and response bodies. The table
// registers the mux, drives the authentication and role checks, and
// generates the OpenAPI document (openapi.go). Every error leaves the server
// in one shape, {"error":{"code","message","field"}}, with the status taken
// from one table (errors.go) keyed by the codes of callfloor.Errors.
//
// Request bodies are decoded strictly (decode.go): an unknown field, a
// field of the wrong type or a read-only field is refused and named, never
// ignored. A PATCH decodes onto the current object's writable fields inside
// the store's update transaction, so an omitted field keeps its value.
package api
