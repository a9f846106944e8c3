// Package admin is the administrators' toolset: searching and managing
// users, account actions (lock, suspend, reset), impersonation, bulk work,
// import and export, and statistics. Every method checks the permission it
// needs against the actor in the context (store.ActorFromContext), so Go
// callers meet the same rules as the HTTP routes, and every change is one
// transaction with its audit row and domain event.
package admin
