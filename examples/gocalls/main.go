// Command gocalls uses usermgmt from Go alone, without HTTP: it registers
// a user, signs in (answering the second-factor challenge when the account
// has 2FA on), and checks a permission for the actor in the context.
//
//	go run ./examples/gocalls
//
// Mail goes to an in-process inbox here so that the program can read the
// codes it is sent; a host passes notify.NewSMTPMailer instead.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func main() {
	if err := run(context.Background(), os.Stdout, "sqlite://:memory:"); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer, dsn string, extra ...usermgmt.Option) error {
	st, err := bunstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	inbox := newInbox()
	m, err := usermgmt.New(st, append([]usermgmt.Option{
		usermgmt.WithMailer(inbox),
		usermgmt.WithEncryptionKey(make([]byte, 32)), // a real host reads a secret key
	}, extra...)...)
	if err != nil {
		_ = st.Close()
		return err
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		return err
	}

	// Register. Errors are *usermgmt.Error values: match them with errors.Is.
	const email, password = "ada@example.com", "correct horse battery"
	u, err := m.Auth().Register(ctx, auth.Registration{Email: email, Password: password})
	switch {
	case errors.Is(err, usermgmt.ErrEmailTaken):
		return fmt.Errorf("already registered: %w", err)
	case err != nil:
		return err
	}
	fmt.Fprintln(out, "registered", u.Email)

	tokens, err := login(ctx, m, email, password, inbox)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "signed in without 2FA:", tokens.AccessToken != "")

	// Turn on 2FA by email: Setup mails a code, Enable proves it. Both act
	// as the signed-in user (the actor in the context) and, as sensitive
	// changes, need a recent sign-in: this session has just signed in, so
	// no password is needed ("").
	me := usermgmt.NewContextWithActor(ctx, usermgmt.Actor{UserID: u.ID, SessionID: tokens.SessionID})
	if _, err := m.TwoFA().Setup(me, u.ID, "", store.MethodEmail); err != nil {
		return err
	}
	code, err := inbox.code(email)
	if err != nil {
		return err
	}
	if _, err := m.TwoFA().Enable(me, u.ID, "", code); err != nil { // returns the backup codes
		return err
	}
	tokens, err = login(ctx, m, email, password, inbox)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "signed in with 2FA:", tokens.AccessToken != "")

	// Permissions: the actor of an operation comes from the context. A
	// request handler puts the signed-in user there; the host's own trusted
	// code uses store.SystemActor.
	actx := store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
	for _, perm := range []rbac.Permission{rbac.UserRead, rbac.UserDelete} {
		ok, err := actorCan(actx, m, perm)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s may %s: %v\n", email, perm, ok)
	}
	ok, err := actorCan(store.NewContextWithActor(ctx, store.SystemActor), m, rbac.UserDelete)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "system may %s: %v\n", rbac.UserDelete, ok)
	return nil
}

// login signs in and, when the account has 2FA on, answers the challenge
// with a code sent by email. Login returns either tokens or a challenge,
// never both.
func login(ctx context.Context, m *usermgmt.Manager, ident, password string, inbox *inbox) (*auth.TokenPair, error) {
	res, err := m.Auth().Login(ctx, auth.Credentials{Identifier: ident, Password: password, DeviceName: "gocalls"})
	if err != nil {
		return nil, err // ErrInvalidCredentials, an account lock, ...
	}
	if res.MFA == nil {
		return res.Tokens, nil
	}
	// res.MFA.Methods lists what the user enabled: "totp", "email", "sms".
	// A TOTP code comes from the user's app; email and sms codes are sent on
	// request.
	if _, err := m.Auth().SendMFACode(ctx, res.MFA.Token, "email"); err != nil {
		return nil, err
	}
	code, err := inbox.code(ident)
	if err != nil {
		return nil, err
	}
	res, err = m.Auth().CompleteMFA(ctx, auth.MFAAttempt{Token: res.MFA.Token, Code: code})
	if err != nil {
		return nil, err
	}
	return res.Tokens, nil
}

// actorCan reports whether the actor in ctx holds perm. System code may do
// anything; a context without an actor is refused.
func actorCan(ctx context.Context, m *usermgmt.Manager, perm rbac.Permission) (bool, error) {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || a.IsZero():
		return false, store.ErrUnauthenticated
	case a.System:
		return true, nil
	}
	return m.RBAC().Can(ctx, a.UserID, perm)
}

// inbox is a notify.Mailer that keeps the last message for each address.
type inbox struct{ msgs chan notify.Message }

func newInbox() *inbox { return &inbox{msgs: make(chan notify.Message, 16)} }

func (b *inbox) Send(_ context.Context, msg notify.Message) error {
	b.msgs <- msg
	return nil
}

var codePattern = regexp.MustCompile(`\b\d{6}\b`)

// code waits for the next mail to addr carrying a six-digit code; mail is
// sent in the background, so it arrives a moment after the call that
// asked for it.
func (b *inbox) code(addr string) (string, error) {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case msg := <-b.msgs:
			if c := codePattern.FindString(msg.Text); msg.To == addr && c != "" {
				return c, nil
			}
		case <-timeout:
			return "", fmt.Errorf("no code mailed to %s", addr)
		}
	}
}
