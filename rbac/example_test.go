package rbac_test

import (
	"fmt"

	"github.com/usermgmt/usermgmt/rbac"
)

func ExamplePermissions() {
	for _, p := range rbac.Permissions()[:3] {
		fmt.Println(p.Name)
	}
	fmt.Println(rbac.Valid("AUDIT_READ"), rbac.Valid("GOD_MODE"))
	// Output:
	// USER_READ
	// USER_CREATE
	// USER_UPDATE
	// true false
}
