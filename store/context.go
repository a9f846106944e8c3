package store

import "context"

// Request holds the facts about the request an operation serves, recorded
// in audit entries. Hosts calling services from Go may set it too.
type Request struct {
	ID        string
	IP        string
	UserAgent string
}

// Actor is who performs an operation. Every service reads it from the
// context, for HTTP and Go callers alike: the HTTP API puts the
// authenticated caller there, and a host calling a service from Go puts
// the user it acts for (NewContextWithActor) or SystemActor for its own
// trusted code. Services that check permissions refuse a context without
// an actor (ErrUnauthenticated) rather than guess.
type Actor struct {
	UserID    string
	SessionID string
	// ImpersonatorID is set when an admin acts as UserID.
	ImpersonatorID string
	// System marks the host's own trusted code (a bootstrap, a job, an
	// admin tool that did its own checks): it passes permission checks and
	// is audited as "system". UserID is empty then.
	System bool
}

// SystemActor is the actor of the host's own trusted code.
var SystemActor = Actor{System: true}

// IsZero reports whether a names nobody.
func (a Actor) IsZero() bool { return a.UserID == "" && !a.System }

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
