package httpapi

import (
	"net/http"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/twofa"
)

// Two-factor routes: the second half of a login (public, limited per mfa
// token) and the signed-in user's own 2FA (limited per user, since every
// one of them checks a code, sends one or checks a password).

type twoFALoginRequest struct {
	MFAToken   string `json:"mfaToken"`
	Code       string `json:"code"`
	BackupCode string `json:"backupCode"`
}

func (a *api) loginMFA(w http.ResponseWriter, r *http.Request) {
	var in twoFALoginRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, "mfa", in.MFAToken) {
		return
	}
	res, err := a.cfg.Auth.CompleteMFA(r.Context(), auth.MFAAttempt{
		Token: in.MFAToken, Code: in.Code, BackupCode: in.BackupCode,
		Fingerprint: r.Header.Get("X-Device-Fingerprint"),
	})
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeTokens(w, res.Tokens)
}

type twoFASendRequest struct {
	MFAToken string `json:"mfaToken"`
	Method   string `json:"method"`
}

type twoFACodeSentJSON struct {
	Method string `json:"method"`
	SentTo string `json:"sentTo"`
}

func (a *api) loginMFASend(w http.ResponseWriter, r *http.Request) {
	var in twoFASendRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, "mfa", in.MFAToken) {
		return
	}
	sentTo, err := a.cfg.Auth.SendMFACode(r.Context(), in.MFAToken, in.Method)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, twoFACodeSentJSON{Method: in.Method, SentTo: sentTo})
}

// limitMFA applies the per-user limit of the signed-in 2FA routes.
func (a *api) limitMFA(w http.ResponseWriter, r *http.Request) bool {
	return a.limitIdentity(w, r, "mfa", "user:"+principal(r).UserID)
}

type twoFAStatusJSON struct {
	Enabled              bool    `json:"enabled"`
	Method               *string `json:"method"`
	BackupCodesRemaining int     `json:"backupCodesRemaining"`
}

func toTwoFAStatusJSON(st twofa.Status) twoFAStatusJSON {
	return twoFAStatusJSON{Enabled: st.Enabled, Method: nullable(string(st.Method)),
		BackupCodesRemaining: st.BackupCodesRemaining}
}

func (a *api) twoFAStatus(w http.ResponseWriter, r *http.Request) {
	st, err := a.cfg.TwoFA.Status(r.Context(), principal(r).UserID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTwoFAStatusJSON(st))
}

// Setup and enable take the current password when the session's sign-in
// or step-up is older than the privileged window.
type twoFASetupRequest struct {
	Method   string `json:"method"`
	Password string `json:"password"`
}

type twoFATOTPEnrolmentJSON struct {
	Method     string `json:"method"`
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauthUrl"`
	QRCode     string `json:"qrCode"`
}

func (a *api) twoFASetup(w http.ResponseWriter, r *http.Request) {
	var in twoFASetupRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	e, err := a.cfg.TwoFA.Setup(r.Context(), principal(r).UserID, in.Password, store.TwoFactorMethod(in.Method))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if e.Method == store.MethodTOTP {
		writeJSON(w, http.StatusOK, twoFATOTPEnrolmentJSON{Method: string(e.Method), Secret: e.Secret,
			OTPAuthURL: e.URL, QRCode: e.QRCode})
		return
	}
	writeJSON(w, http.StatusOK, twoFACodeSentJSON{Method: string(e.Method), SentTo: e.SentTo})
}

type twoFACodeRequest struct {
	Code string `json:"code"`
}

type twoFABackupCodesJSON struct {
	BackupCodes []string `json:"backupCodes"`
}

type twoFAEnableRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (a *api) twoFAEnable(w http.ResponseWriter, r *http.Request) {
	var in twoFAEnableRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	codes, err := a.cfg.TwoFA.Enable(r.Context(), principal(r).UserID, in.Password, in.Code)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, twoFABackupCodesJSON{BackupCodes: codes})
}

type twoFADisableRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (a *api) twoFADisable(w http.ResponseWriter, r *http.Request) {
	var in twoFADisableRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	if err := a.cfg.TwoFA.Disable(r.Context(), principal(r).UserID, in.Password, in.Code); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTwoFAStatusJSON(twofa.Status{}))
}

func (a *api) twoFAVerify(w http.ResponseWriter, r *http.Request) {
	var in twoFACodeRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	p := principal(r)
	if err := a.cfg.TwoFA.Verify(r.Context(), p.UserID, p.SessionID, in.Code); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"verified": true})
}

type twoFAVerifiedBackupJSON struct {
	Verified             bool `json:"verified"`
	BackupCodesRemaining int  `json:"backupCodesRemaining"`
}

func (a *api) twoFAVerifyBackup(w http.ResponseWriter, r *http.Request) {
	var in twoFACodeRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	p := principal(r)
	n, err := a.cfg.TwoFA.VerifyBackup(r.Context(), p.UserID, p.SessionID, in.Code)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, twoFAVerifiedBackupJSON{Verified: true, BackupCodesRemaining: n})
}

type twoFAPasswordRequest struct {
	Password string `json:"password"`
}

func (a *api) twoFABackupCodes(w http.ResponseWriter, r *http.Request) {
	var in twoFAPasswordRequest
	if !a.decode(w, r, &in) || !a.limitMFA(w, r) {
		return
	}
	codes, err := a.cfg.TwoFA.RegenerateBackupCodes(r.Context(), principal(r).UserID, in.Password)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, twoFABackupCodesJSON{BackupCodes: codes})
}

func (a *api) twoFASend(w http.ResponseWriter, r *http.Request) {
	if !a.limitMFA(w, r) {
		return
	}
	method, sentTo, err := a.cfg.TwoFA.SendCode(r.Context(), principal(r).UserID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, twoFACodeSentJSON{Method: string(method), SentTo: sentTo})
}
