package twofa_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/twofa"
)

// Enrolling a user in TOTP: Setup answers the secret and a QR code for the
// authenticator app; Enable turns 2FA on once the app's code checks out,
// and answers the backup codes to show once.
func Example() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	u := &store.User{Email: "ada@example.com", Status: store.StatusActive, Visibility: store.VisibilityPublic,
		Preferences: store.DefaultPreferences()}
	if err := st.Users().Create(ctx, u); err != nil {
		log.Fatal(err)
	}

	key := make([]byte, twofa.KeySize) // in production: from a secret store, the same on every instance
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	mail := notify.NewAsync(notify.NewConsoleMailer(io.Discard), nil, 1, time.Second)
	defer mail.Close()
	// usermgmt.New passes its auth.Service as RecentAuth, which wants a
	// sign-in or step-up within 15 minutes or the password, and trusts the
	// host's own code (store.SystemActor), as this stand-in does.
	recentAuth := twofa.ReauthenticatorFunc(func(ctx context.Context, _ string) error {
		if a, _ := store.ActorFromContext(ctx); a.System {
			return nil
		}
		return store.ErrReauthenticationRequired
	})
	tf, err := twofa.New(twofa.Config{Store: st, Audit: audit.New(st, nil), Mail: mail, Issuer: "Example", Key: key,
		RecentAuth: recentAuth})
	if err != nil {
		log.Fatal(err)
	}

	ctx = store.NewContextWithActor(ctx, store.SystemActor) // say, an onboarding job
	e, err := tf.Setup(ctx, u.ID, "", store.MethodTOTP)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(e.URL, "otpauth://totp/Example:ada@example.com?"))
	fmt.Println(strings.HasPrefix(e.QRCode, "data:image/png;base64,"))

	code, err := totp.GenerateCode(e.Secret, time.Now()) // what the user's app shows
	if err != nil {
		log.Fatal(err)
	}
	codes, err := tf.Enable(ctx, u.ID, "", code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(codes), "backup codes")

	s, err := tf.Status(ctx, u.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Enabled, s.Method, s.BackupCodesRemaining)
	// Output:
	// true
	// true
	// 10 backup codes
	// true totp 10
}
