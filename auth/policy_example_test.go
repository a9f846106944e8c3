package auth_test

import (
	"errors"
	"fmt"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

func ExamplePasswordPolicy_Check() {
	var policy auth.PasswordPolicy // the zero value is the default policy
	for _, pw := range []string{
		"hunter2",
		"Password1",
		"alice-in-wonderland",
		"correct horse battery staple",
	} {
		err := policy.Check(pw, "alice@example.com", "alice")
		var e *store.Error
		switch {
		case err == nil:
			fmt.Printf("%q: ok\n", pw)
		case errors.As(err, &e):
			fmt.Printf("%q: %s\n", pw, e.Message)
		}
	}
	// Output:
	// "hunter2": password must have at least 8 characters
	// "Password1": password is too common
	// "alice-in-wonderland": password must not contain your email address
	// "correct horse battery staple": ok
}
