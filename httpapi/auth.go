package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

type principalKey struct{}

// principal returns the caller authenticated by requireAuth.
func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(*auth.Principal)
	return p
}

// NewContextWithPrincipal returns ctx carrying p, as the auth middleware
// does.
func NewContextWithPrincipal(ctx context.Context, p *auth.Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	return store.NewContextWithActor(ctx, p.Actor())
}

// PrincipalFromContext returns the authenticated caller, if any.
func PrincipalFromContext(ctx context.Context) (*auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*auth.Principal)
	return p, ok
}

// RequireAuth admits requests with a valid bearer access token, and puts
// the principal and audit actor in the context.
func RequireAuth(svc *auth.Service, onError func(http.ResponseWriter, *http.Request, error)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearer(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer`)
				onError(w, r, store.ErrUnauthenticated)
				return
			}
			p, err := svc.Authenticate(r.Context(), token, r.Header.Get("X-Device-Fingerprint"))
			if err != nil {
				if e := store.AsError(err); e.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				}
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContextWithPrincipal(r.Context(), p)))
		})
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func (a *api) authed(h http.HandlerFunc) http.Handler {
	return RequireAuth(a.cfg.Auth, a.problem)(h)
}

type registerRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	Username  string `json:"username"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

func (a *api) register(w http.ResponseWriter, r *http.Request) {
	var in registerRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, "register", in.Email) {
		return
	}
	u, err := a.cfg.Auth.Register(r.Context(), auth.Registration{
		Email: in.Email, Password: in.Password, Username: in.Username, FirstName: in.FirstName, LastName: in.LastName,
	})
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u, a.cfg.Auth.SignUpRoles()))
}

type loginRequest struct {
	Identifier string `json:"identifier"`
	Password   string `json:"password"`
	DeviceName string `json:"deviceName"`
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, "login", in.Identifier) {
		return
	}
	res, err := a.cfg.Auth.Login(r.Context(), auth.Credentials{
		Identifier: in.Identifier, Password: in.Password, DeviceName: in.DeviceName,
		Fingerprint: r.Header.Get("X-Device-Fingerprint"),
	})
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if res.MFA != nil {
		writeJSON(w, http.StatusOK, mfaChallengeJSON{MFARequired: true, MFAToken: res.MFA.Token, Methods: res.MFA.Methods})
		return
	}
	a.writeTokens(w, res.Tokens)
}

// writeTokens answers a token pair: with the user after a login, without
// after a refresh (which reads no user row).
func (a *api) writeTokens(w http.ResponseWriter, t *auth.TokenPair) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	pair := refreshedJSON{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(t.ExpiresIn / time.Second),
	}
	if t.User == nil {
		writeJSON(w, http.StatusOK, pair)
		return
	}
	writeJSON(w, http.StatusOK, tokensJSON{refreshedJSON: pair, User: toUserJSON(t.User, t.Roles)})
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (a *api) refresh(w http.ResponseWriter, r *http.Request) {
	var in refreshRequest
	if !a.decode(w, r, &in) {
		return
	}
	pair, err := a.cfg.Auth.Refresh(r.Context(), in.RefreshToken, r.Header.Get("X-Device-Fingerprint"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeTokens(w, pair)
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	var in refreshRequest
	if !a.decode(w, r, &in) {
		return
	}
	if err := a.cfg.Auth.Logout(r.Context(), in.RefreshToken); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (a *api) verifyEmailLink(w http.ResponseWriter, r *http.Request) {
	a.verifyEmail(w, r, r.URL.Query().Get("token"))
}

func (a *api) verifyEmailPost(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	if !a.decode(w, r, &in) {
		return
	}
	a.verifyEmail(w, r, in.Token)
}

func (a *api) verifyEmail(w http.ResponseWriter, r *http.Request, token string) {
	if err := a.cfg.Auth.VerifyEmail(r.Context(), token); err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]bool{"emailVerified": true})
}

type emailRequest struct {
	Email string `json:"email"`
}

// accepted is the one answer of the routes that must not say whether an
// account exists.
var acceptedBody = map[string]string{"message": "If an account exists for that address, an email is on its way."}

func (a *api) resendVerification(w http.ResponseWriter, r *http.Request) {
	a.acceptEmail(w, r, "resend", a.cfg.Auth.ResendVerification)
}

func (a *api) forgotPassword(w http.ResponseWriter, r *http.Request) {
	a.acceptEmail(w, r, "forgot", a.cfg.Auth.ForgotPassword)
}

func (a *api) acceptEmail(w http.ResponseWriter, r *http.Request, scope string, fn func(context.Context, string) error) {
	var in emailRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, scope, in.Email) {
		return
	}
	if err := fn(r.Context(), in.Email); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, acceptedBody)
}

type resetRequest struct {
	Token       string `json:"token"`
	NewPassword string `json:"newPassword"`
}

func (a *api) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in resetRequest
	if !a.decode(w, r, &in) {
		return
	}
	if err := a.cfg.Auth.ResetPassword(r.Context(), in.Token, in.NewPassword); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"passwordReset": true})
}

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (a *api) changePassword(w http.ResponseWriter, r *http.Request) {
	var in changePasswordRequest
	if !a.decode(w, r, &in) {
		return
	}
	p := principal(r)
	if err := a.cfg.Auth.ChangePassword(r.Context(), p.UserID, p.SessionID, in.CurrentPassword, in.NewPassword); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"passwordChanged": true})
}

func (a *api) checkEmail(w http.ResponseWriter, r *http.Request) {
	a.checkAvailable(w, r, "email", a.cfg.Auth.EmailAvailable)
}

func (a *api) checkUsername(w http.ResponseWriter, r *http.Request) {
	a.checkAvailable(w, r, "username", a.cfg.Auth.UsernameAvailable)
}

func (a *api) checkAvailable(w http.ResponseWriter, r *http.Request, param string, fn func(context.Context, string) (bool, error)) {
	if !a.limitIdentity(w, r, "check", "") {
		return
	}
	ok, err := fn(r.Context(), r.URL.Query().Get(param))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"available": ok})
}

// JWKSHandler serves the public keys that verify svc's access tokens as a
// JSON Web Key Set, cacheable for five minutes (a rotated key keeps
// verifying for longer than that). A failure to read the keys goes to
// onError, such as WriteError. The API serves it at
// /.well-known/jwks.json; the root's Manager.JWKSHandler is the same
// handler, for a host that also publishes the keys at its site root.
func JWKSHandler(svc *auth.Service, onError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := svc.Tokens().JWKS(r.Context())
		if err != nil {
			onError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// decode reads a JSON body, answering the problem itself when it fails.
func (a *api) decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := a.decodeJSON(r, dst); err != nil {
		a.problem(w, r, err)
		return false
	}
	return true
}
