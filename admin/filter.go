package admin

import "github.com/usermgmt/usermgmt/store"

// UserFilter selects users for the admin list and everything that takes
// "the same filters as the list" (export, bulk selections): q over email,
// username and name, status, role name, emailVerified, twoFactor and a
// creation window. It is the store's filter, so a filter parsed once can be
// handed to UserStore.List or to a streaming export unchanged; empty fields
// do not filter.
type UserFilter = store.UserFilter
