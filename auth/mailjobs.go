package auth

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// The outbox jobs of the mails that carry a link token. The request only
// writes the job (the same row whether or not an account has the
// address); the job looks the account up, creates the token and sends
// the mail, so that no token waits in the outbox and the anonymous routes
// do the same work for every address.
const (
	// JobResetMail mails a reset link: payload {"email"} for
	// forgot-password, or keyed to the user with {"invite": true} or
	// {"audited": true} (QueueInvite, QueueReset).
	JobResetMail store.EventName = "auth.reset_mail"
	// JobVerifyMail mails a verification link: keyed to the user at
	// sign-up, or payload {"email"} for resend-verification.
	JobVerifyMail store.EventName = "auth.verify_mail"
	// JobConfirmEmailMail mails the confirmation link of the user's
	// pending email change.
	JobConfirmEmailMail store.EventName = "auth.confirm_email_mail"
)

// Jobs returns the service's outbox jobs, for the dispatcher
// (events.DispatcherConfig.Jobs).
func (s *Service) Jobs() map[store.EventName]events.Job {
	return map[store.EventName]events.Job{
		JobResetMail:        s.resetJob,
		JobVerifyMail:       s.verifyJob,
		JobConfirmEmailMail: s.confirmEmailJob,
	}
}

// enqueue writes the job name through tx, keyed to userID when known,
// with the request's facts (id, IP, user agent) for the audit row the job
// writes; they go with the job once it is done.
func (s *Service) enqueue(ctx context.Context, tx store.Repos, name store.EventName, userID string, payload map[string]any) error {
	p := map[string]any{}
	for k, v := range payload {
		p[k] = v
	}
	if r := store.RequestFromContext(ctx); r != (store.Request{}) {
		p["request"] = map[string]any{"id": r.ID, "ip": r.IP, "userAgent": r.UserAgent}
	}
	return tx.Events().Append(ctx, &store.Event{Name: name, UserID: userID, Payload: p, OccurredAt: s.now()})
}

// jobContext is ctx with the request facts the job was written with.
func jobContext(ctx context.Context, e store.OutboxEntry) context.Context {
	r, _ := e.Payload["request"].(map[string]any)
	if r == nil {
		return ctx
	}
	str := func(k string) string { v, _ := r[k].(string); return v }
	return store.NewContextWithRequest(ctx, store.Request{ID: str("id"), IP: str("ip"), UserAgent: str("userAgent")})
}

// enqueueNow writes the job in a statement of its own.
func (s *Service) enqueueNow(ctx context.Context, name store.EventName, payload map[string]any) error {
	return s.enqueue(ctx, s.st, name, "", payload)
}

// jobUser is the account a job is about: its user, else the account with
// its "email". It returns nil, without error, when there is none (an
// unknown address, an erased user) or it is deleted: the job is dropped.
func (s *Service) jobUser(ctx context.Context, e store.OutboxEntry) (*store.User, error) {
	var (
		u   *store.User
		err error
	)
	if e.UserID != "" {
		u, err = s.st.Users().ByID(ctx, e.UserID)
	} else {
		email, _ := e.Payload["email"].(string)
		u, err = s.st.Users().ByEmail(ctx, email)
	}
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case u.Status == store.StatusDeleted:
		return nil, nil
	}
	return u, nil
}

func (s *Service) resetJob(ctx context.Context, e store.OutboxEntry) error {
	ctx = jobContext(ctx, e)
	u, err := s.jobUser(ctx, e)
	if err != nil || u == nil {
		return err
	}
	template, ttl := notify.TemplateResetPassword, s.cfg.ResetTTL
	audited := &audit.Entry{Action: "auth.password_reset_request", TargetID: u.ID}
	if invite, _ := e.Payload["invite"].(bool); invite {
		// Audited as user.invite by Invite, with its actor.
		template, ttl, audited = notify.TemplateInvite, s.cfg.InviteTTL, nil
	}
	if byCaller, _ := e.Payload["audited"].(bool); byCaller {
		// Audited by whoever queued it (QueueReset), with its actor.
		audited = nil
	}
	token, err := s.issueFor(ctx, u.ID, store.PurposeResetPassword, ttl, "", audited)
	if err != nil {
		return err
	}
	return s.mailLink(ctx, template, u.Email, s.cfg.ResetPasswordPath, token, ttl)
}

func (s *Service) verifyJob(ctx context.Context, e store.OutboxEntry) error {
	ctx = jobContext(ctx, e)
	u, err := s.jobUser(ctx, e)
	if err != nil || u == nil || u.EmailVerified {
		return err
	}
	var audited *audit.Entry
	if e.UserID == "" {
		audited = &audit.Entry{Action: "auth.resend_verification", TargetID: u.ID, ActorID: u.ID}
	}
	token, err := s.issueFor(ctx, u.ID, store.PurposeVerifyEmail, s.cfg.VerifyTTL, u.Email, audited)
	if err != nil {
		return err
	}
	return s.mailLink(ctx, notify.TemplateVerifyEmail, u.Email, s.cfg.VerifyEmailPath, token, s.cfg.VerifyTTL)
}

func (s *Service) confirmEmailJob(ctx context.Context, e store.OutboxEntry) error {
	u, err := s.jobUser(ctx, e)
	if err != nil || u == nil || u.PendingEmail == "" {
		return err
	}
	token, err := s.issueFor(ctx, u.ID, store.PurposeChangeEmail, s.cfg.VerifyTTL, u.PendingEmail, nil)
	if err != nil {
		return err
	}
	return s.mailLink(ctx, notify.TemplateConfirmEmail, u.PendingEmail, s.cfg.VerifyEmailPath, token, s.cfg.VerifyTTL)
}

// issueFor issues a one-time token in a transaction of its own, with the
// audit row when one is given.
func (s *Service) issueFor(ctx context.Context, userID string, p store.TokenPurpose, ttl time.Duration, data string, audited *audit.Entry) (string, error) {
	var token string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		if token, err = s.issueOneTime(ctx, tx, userID, p, ttl, data); err != nil || audited == nil {
			return err
		}
		return s.audit.Record(ctx, tx, *audited)
	})
	return token, err
}

// mailLink sends the template to the address, now, with the link to path
// carrying token. A failure is returned for the outbox to retry (the retry
// makes a new token, spending this one).
func (s *Service) mailLink(ctx context.Context, template, to, path, token string, ttl time.Duration) error {
	data := map[string]any{"Email": to, "Link": s.link(path, token), "ExpiresIn": textutil.HumanDuration(ttl)}
	msg, err := s.cfg.Templates.Render(template, to, data)
	if err != nil {
		return events.Permanent(err)
	}
	return s.cfg.Mailer.Send(ctx, msg)
}
