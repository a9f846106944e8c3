package users_test

import (
	"context"
	"fmt"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/users"
)

// A user changes their own preferences; what they leave out takes its
// default.
func ExampleService_SetPreferences() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		panic(err)
	}
	u := &store.User{Email: "ada@example.com", Status: store.StatusActive, Preferences: store.DefaultPreferences()}
	if err := st.Users().Create(ctx, u); err != nil {
		panic(err)
	}
	svc := users.New(users.Config{Store: st, Audit: audit.New(st, nil)})

	asAda := store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
	lang, theme := "pt-br", users.ThemeDark
	p, err := svc.SetPreferences(asAda, u.ID, users.PreferencesChange{Language: &lang, Theme: &theme})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Language, p.Timezone, p.Theme, p.NotifyEmail)
	// Output: pt-BR UTC dark true
}
