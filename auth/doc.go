// Package auth establishes who is calling: it logs users in with their
// password (with a per-address rate limit and a per-user lockout), issues
// and checks session tokens and API tokens, and changes passwords.
//
// Tokens are random and shown once; the store keeps only their SHA-256
// hashes. Session tokens start with "cfs_", API tokens with "cfk_".
package auth
