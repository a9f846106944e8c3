package gdpr

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// exportPage is the page size the export reads lists with.
const exportPage = store.MaxLimit

// The export's JSON shapes. Fields without a value are null. None carries
// a secret or a hash: not the password hash, the TOTP secret, backup codes
// or the session's fingerprint hash.
type (
	exportProfile struct {
		ID                string     `json:"id"`
		Email             string     `json:"email"`
		PendingEmail      *string    `json:"pendingEmail"`
		EmailVerified     bool       `json:"emailVerified"`
		Username          *string    `json:"username"`
		FirstName         *string    `json:"firstName"`
		LastName          *string    `json:"lastName"`
		DisplayName       *string    `json:"displayName"`
		PhoneNumber       *string    `json:"phoneNumber"`
		Bio               *string    `json:"bio"`
		Location          *string    `json:"location"`
		Website           *string    `json:"website"`
		AvatarURL         *string    `json:"avatarUrl"`
		Visibility        string     `json:"visibility"`
		Status            string     `json:"status"`
		SuspendedReason   *string    `json:"suspendedReason"`
		SuspendedUntil    *time.Time `json:"suspendedUntil"`
		DeletedAt         *time.Time `json:"deletedAt"`
		PurgeAfter        *time.Time `json:"purgeAfter"`
		PasswordChangedAt *time.Time `json:"passwordChangedAt"`
		CreatedAt         time.Time  `json:"createdAt"`
		UpdatedAt         time.Time  `json:"updatedAt"`
		LastLoginAt       *time.Time `json:"lastLoginAt"`
	}
	exportPreferences struct {
		Language      string             `json:"language"`
		Timezone      string             `json:"timezone"`
		Theme         string             `json:"theme"`
		Notifications exportNotifyChoice `json:"notifications"`
	}
	exportNotifyChoice struct {
		Email          bool `json:"email"`
		InApp          bool `json:"inApp"`
		SecurityAlerts bool `json:"securityAlerts"`
	}
	exportRole struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
	}
	exportSession struct {
		ID         string     `json:"id"`
		DeviceName *string    `json:"deviceName"`
		IP         *string    `json:"ip"`
		UserAgent  *string    `json:"userAgent"`
		CreatedAt  time.Time  `json:"createdAt"`
		LastSeenAt time.Time  `json:"lastSeenAt"`
		ExpiresAt  time.Time  `json:"expiresAt"`
		RevokedAt  *time.Time `json:"revokedAt"`
	}
	exportTwoFactor struct {
		Enabled              bool    `json:"enabled"`
		Method               *string `json:"method"`
		BackupCodesRemaining int     `json:"backupCodesRemaining"`
	}
	exportNotification struct {
		ID        string            `json:"id"`
		Type      string            `json:"type"`
		Title     string            `json:"title"`
		Body      string            `json:"body"`
		Data      map[string]string `json:"data"`
		ReadAt    *time.Time        `json:"readAt"`
		CreatedAt time.Time         `json:"createdAt"`
	}
	exportAudit struct {
		ID             string            `json:"id"`
		Action         string            `json:"action"`
		Outcome        string            `json:"outcome"`
		ActorID        *string           `json:"actorId"`
		ImpersonatorID *string           `json:"impersonatorId"`
		TargetID       *string           `json:"targetId"`
		IP             *string           `json:"ip"`
		UserAgent      *string           `json:"userAgent"`
		RequestID      *string           `json:"requestId"`
		Metadata       map[string]string `json:"metadata"`
		CreatedAt      time.Time         `json:"createdAt"`
	}
)

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Export writes everything held about the user to w as one JSON object:
// exportedAt, profile, preferences, roles, sessions (live ones), twoFactor
// (enabled, method, backup codes remaining), notifications and auditTrail
// (every entry naming the user as actor, target or impersonator, oldest
// first). The lists are read page by page and written as they come, so
// memory does not grow with their size. The IP and user agent of an
// entry someone else acted in are theirs, not the user's, and are left
// out. The actor is the user themself or the host's code
// (store.SystemActor).
//
// Export returns ErrUserNotFound before writing anything when there is no
// such user; an error after the first write leaves w holding an
// incomplete document.
func (s *Service) Export(ctx context.Context, userID string, w io.Writer) error {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || a.IsZero():
		return store.ErrUnauthenticated
	case !a.System && a.UserID != userID:
		return store.ErrPermissionDenied
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return err
	}
	// Everything held about a person leaving at once is worth a record,
	// as a stolen token would use this route too.
	if err := s.cfg.Audit.RecordNow(ctx, audit.Entry{Action: "gdpr.export", TargetID: userID}); err != nil {
		return err
	}
	roles, err := s.st.Roles().RolesOf(ctx, userID)
	if err != nil {
		return err
	}
	tf := exportTwoFactor{}
	switch t, err := s.st.TwoFactor().Get(ctx, userID); {
	case err == nil:
		tf.Enabled = t.Enabled
		tf.Method = nullable(string(t.Method))
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if tf.BackupCodesRemaining, err = s.st.TwoFactor().BackupCodesRemaining(ctx, userID); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	e := &streamer{w: bw, enc: json.NewEncoder(bw)}
	e.raw(`{"exportedAt":`)
	e.value(s.cfg.Now().UTC())
	e.raw(`,"profile":`)
	e.value(profileOf(u))
	p := u.Preferences
	e.raw(`,"preferences":`)
	e.value(exportPreferences{Language: p.Language, Timezone: p.Timezone, Theme: p.Theme,
		Notifications: exportNotifyChoice{Email: p.NotifyEmail, InApp: p.NotifyInApp, SecurityAlerts: p.NotifySecurity}})
	e.raw(`,"roles":[`)
	for i, r := range roles {
		e.sep(i)
		perms := r.Permissions
		if perms == nil {
			perms = []string{}
		}
		e.value(exportRole{ID: r.ID, Name: r.Name, Permissions: perms})
	}
	e.raw(`],"twoFactor":`)
	e.value(tf)
	e.raw(`,"sessions":[`)
	now := s.cfg.Now()
	err = eachPage(ctx, store.ListRequest{}, func(r store.ListRequest) (store.Page[store.Session], error) {
		return s.st.Sessions().List(ctx, userID, now, r)
	}, func(i int, x store.Session) {
		e.sep(i)
		e.value(exportSession{ID: x.ID, DeviceName: nullable(x.DeviceName), IP: nullable(x.IP),
			UserAgent: nullable(x.UserAgent), CreatedAt: x.CreatedAt.UTC(), LastSeenAt: x.LastSeenAt.UTC(),
			ExpiresAt: x.ExpiresAt.UTC(), RevokedAt: utcPtr(x.RevokedAt)})
	})
	if err != nil {
		return err
	}
	e.raw(`],"notifications":[`)
	err = eachPage(ctx, store.ListRequest{}, func(r store.ListRequest) (store.Page[store.Notification], error) {
		return s.st.Notifications().List(ctx, userID, store.NotificationFilter{}, r)
	}, func(i int, n store.Notification) {
		e.sep(i)
		e.value(exportNotification{ID: n.ID, Type: n.Type, Title: n.Title, Body: n.Body, Data: n.Data,
			ReadAt: utcPtr(n.ReadAt), CreatedAt: n.CreatedAt.UTC()})
	})
	if err != nil {
		return err
	}
	e.raw(`],"auditTrail":[`)
	err = eachPage(ctx, store.ListRequest{Sort: store.Sort{Field: "createdAt"}}, func(r store.ListRequest) (store.Page[store.AuditEntry], error) {
		return s.st.Audit().List(ctx, store.AuditFilter{UserID: userID}, r)
	}, func(i int, x store.AuditEntry) {
		e.sep(i)
		e.value(auditOf(userID, x))
	})
	if err != nil {
		return err
	}
	e.raw("]}\n")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

func profileOf(u *store.User) exportProfile {
	return exportProfile{ID: u.ID, Email: u.Email, PendingEmail: nullable(u.PendingEmail),
		EmailVerified: u.EmailVerified, Username: nullable(u.Username), FirstName: nullable(u.FirstName),
		LastName: nullable(u.LastName), DisplayName: nullable(u.DisplayName), PhoneNumber: nullable(u.PhoneNumber),
		Bio: nullable(u.Bio), Location: nullable(u.Location), Website: nullable(u.Website),
		AvatarURL: nullable(u.AvatarURL), Visibility: string(u.Visibility), Status: string(u.Status),
		SuspendedReason: nullable(u.SuspendedReason), SuspendedUntil: utcPtr(u.SuspendedUntil),
		DeletedAt: utcPtr(u.DeletedAt), PurgeAfter: utcPtr(u.PurgeAfter),
		PasswordChangedAt: utcPtr(u.PasswordChangedAt), CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
		LastLoginAt: utcPtr(u.LastLoginAt)}
}

func auditOf(userID string, x store.AuditEntry) exportAudit {
	out := exportAudit{ID: x.ID, Action: x.Action, Outcome: string(x.Outcome), ActorID: nullable(x.ActorID),
		ImpersonatorID: nullable(x.ImpersonatorID), TargetID: nullable(x.TargetID),
		RequestID: nullable(x.RequestID), Metadata: x.Metadata, CreatedAt: x.CreatedAt.UTC()}
	if x.ActorID == userID && x.ImpersonatorID == "" {
		out.IP, out.UserAgent = nullable(x.IP), nullable(x.UserAgent)
	}
	return out
}

// eachPage calls fn for every item of a keyset-paged list, one page in
// memory at a time.
func eachPage[T any](ctx context.Context, r store.ListRequest, list func(store.ListRequest) (store.Page[T], error), fn func(i int, x T)) error {
	r.Limit = exportPage
	i := 0
	for {
		p, err := list(r)
		if err != nil {
			return err
		}
		for _, x := range p.Items {
			fn(i, x)
			i++
		}
		if p.NextCursor == "" || ctx.Err() != nil {
			return ctx.Err()
		}
		r.Cursor = p.NextCursor
	}
}

// streamer writes JSON piece by piece, keeping the first error.
type streamer struct {
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

func (s *streamer) raw(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

func (s *streamer) sep(i int) {
	if i > 0 {
		s.raw(",")
	}
}

// value writes v; Encoder's newline between values is valid JSON
// whitespace.
func (s *streamer) value(v any) {
	if s.err == nil {
		s.err = s.enc.Encode(v)
	}
}
