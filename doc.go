// Package callfloor holds the domain of the callfloor contact-centre
// platform: accounts, users, extensions with their Agent tab, pause reasons,
// queues with their dispositions, directory entries and caller-ID pools; the
// error codes every surface shares; and the interfaces that the stores,
// the API and the engine are written against.
//
// The package depends on the standard library only. Adapters live in their
// own packages named after what they adapt (sqlite, postgres, api) and
// cmd/callfloor wires them together.
package callfloor
