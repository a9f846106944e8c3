package store

import "context"

// Request holds the facts about the request an operation serves, recorded
// in audit entries. Hosts calling services from Go may set it too.
type Request struct {
	ID        string
	IP        string
	UserAgent string
}

// Actor is the authenticated caller of an operation.
type Actor struct {
	UserID    string
	SessionID string
	// ImpersonatorID is set when an admin acts as UserID.
	ImpersonatorID string
}

type requestKey struct{}
type actorKey struct{}

// NewContextWithRequest returns ctx carrying r.
func NewContextWithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFromContext returns the request facts in ctx, or the zero Request.
func RequestFromContext(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// NewContextWithActor returns ctx carrying a.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx and whether there is one.
func ActorFromContext(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
