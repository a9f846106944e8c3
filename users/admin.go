package users

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// Validate normalises the fields ch carries, in place, and reports every
// invalid one as UpdateProfile does (a Validation naming each field,
// ErrUsernameReserved), for services that edit a profile on the owner's
// behalf (the admin toolset).
func (ch *ProfileChange) Validate() error { return ch.validate() }

// Apply makes the change on u, a row locked by UserStore.Update, and
// returns the names of the fields it changed. Email is left alone: the
// owner's change of address goes through a confirmation link
// (UpdateProfile), an administrator's through the admin service.
func (ch ProfileChange) Apply(u *store.User) []string {
	ch.Email = nil
	changed, _ := applyProfile(u, ch, "")
	return changed
}

// GuardLastAdmin refuses, with ErrLastAdmin, a change inside tx that
// would leave no active administrator: removing, deleting, locking or
// suspending userID while they are the only active holder of the admin
// role. It takes the admin role's lock (rbac.Service.GuardLastAdmin), so
// two such changes cannot both pass. It checks no permission.
func (a *Account) GuardLastAdmin(ctx context.Context, tx store.Repos, userID string) error {
	return a.guardLastAdmin(ctx, tx, userID)
}
