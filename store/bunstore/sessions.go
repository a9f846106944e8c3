package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type sessionModel struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	ID              string     `bun:"id,pk"`
	UserID          string     `bun:"user_id"`
	DeviceName      string     `bun:"device_name,nullzero"`
	IP              string     `bun:"ip,nullzero"`
	UserAgent       string     `bun:"user_agent,nullzero"`
	FingerprintHash string     `bun:"fingerprint_hash,nullzero"`
	ImpersonatorID  string     `bun:"impersonator_id,nullzero"`
	CreatedAt       time.Time  `bun:"created_at"`
	LastSeenAt      time.Time  `bun:"last_seen_at"`
	ExpiresAt       time.Time  `bun:"expires_at"`
	RevokedAt       *time.Time `bun:"revoked_at"`
	RevokeReason    string     `bun:"revoke_reason,nullzero"`
	MFAVerifiedAt   *time.Time `bun:"mfa_verified_at"`
}

func (m *sessionModel) session() store.Session {
	return store.Session{
		ID: m.ID, UserID: m.UserID, DeviceName: m.DeviceName, IP: m.IP, UserAgent: m.UserAgent,
		FingerprintHash: m.FingerprintHash, ImpersonatorID: m.ImpersonatorID,
		CreatedAt: m.CreatedAt, LastSeenAt: m.LastSeenAt, ExpiresAt: m.ExpiresAt,
		RevokedAt: m.RevokedAt, RevokeReason: m.RevokeReason, MFAVerifiedAt: m.MFAVerifiedAt,
	}
}

type sessions struct{ repos }

func (r sessions) Create(ctx context.Context, s *store.Session) error {
	if s.ID == "" {
		s.ID = newID()
	}
	s.CreatedAt = utc(s.CreatedAt)
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	m := &sessionModel{
		ID: s.ID, UserID: s.UserID, DeviceName: s.DeviceName, IP: s.IP, UserAgent: s.UserAgent,
		FingerprintHash: s.FingerprintHash, ImpersonatorID: s.ImpersonatorID,
		CreatedAt: s.CreatedAt, LastSeenAt: utc(s.LastSeenAt), ExpiresAt: utc(s.ExpiresAt),
		RevokedAt: utcPtr(s.RevokedAt), RevokeReason: s.RevokeReason, MFAVerifiedAt: utcPtr(s.MFAVerifiedAt),
	}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	return translate(err, nil)
}

func (r sessions) ByID(ctx context.Context, id string) (*store.Session, error) {
	m := new(sessionModel)
	if err := r.db.NewSelect().Model(m).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrSessionNotFound)
	}
	s := m.session()
	return &s, nil
}

// sessionList offers a user's live sessions, newest created first by
// default.
var sessionList = listSpec[sessionModel]{
	idCol: "s.id",
	def:   store.Sort{Field: "createdAt", Desc: true},
	sorts: map[string]sortKey[sessionModel]{
		"createdAt":  {expr: "s.created_at", at: func(m *sessionModel) *time.Time { return &m.CreatedAt }},
		"lastSeenAt": {expr: "s.last_seen_at", at: func(m *sessionModel) *time.Time { return &m.LastSeenAt }},
	},
	id: func(m *sessionModel) string { return m.ID },
}

func (r sessions) List(ctx context.Context, userID string, now time.Time, req store.ListRequest) (store.Page[store.Session], error) {
	return listPage(ctx, r.db, req, sessionList,
		func(q *bun.SelectQuery) (*bun.SelectQuery, bool) {
			if !validID(userID) {
				return q, false
			}
			return q.Where("s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?", userID, utc(now)), true
		},
		func(m *sessionModel) store.Session { return m.session() })
}

func (r sessions) Touch(ctx context.Context, id string, at time.Time, ip string) error {
	return r.update(ctx, id, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		q = q.Set("last_seen_at = ?", utc(at))
		if ip != "" {
			q = q.Set("ip = ?", ip)
		}
		return q
	})
}

func (r sessions) MarkMFAVerified(ctx context.Context, id string, at time.Time) error {
	return r.update(ctx, id, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("mfa_verified_at = ?", utc(at))
	})
}

func (r sessions) update(ctx context.Context, id string, set func(*bun.UpdateQuery) *bun.UpdateQuery) error {
	err := r.write(func() error {
		res, err := set(r.db.NewUpdate().Model((*sessionModel)(nil))).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrSessionNotFound)
	})
	return translate(err, store.ErrSessionNotFound)
}

func (r sessions) Revoke(ctx context.Context, id string, at time.Time, reason string) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*sessionModel)(nil)).
			Set("revoked_at = COALESCE(revoked_at, ?)", utc(at)).
			Set("revoke_reason = COALESCE(revoke_reason, ?)", reason).
			Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrSessionNotFound)
	})
	r.changedIf(err, store.Change{Kind: store.SessionRevoked, SessionID: id})
	return translate(err, store.ErrSessionNotFound)
}

func (r sessions) RevokeByUser(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error) {
	var n int
	err := r.write(func() error {
		q := r.db.NewUpdate().Model((*sessionModel)(nil)).
			Set("revoked_at = ?", utc(at)).Set("revoke_reason = ?", reason).
			Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, utc(at))
		// An exceptID that is not a UUID names no session, so it excepts
		// none; PostgreSQL would refuse to compare it.
		if exceptID != "" && validID(exceptID) {
			q = q.Where("id <> ?", exceptID)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	if invalidInput(err) {
		return 0, nil
	}
	if n > 0 {
		r.changedIf(err, store.Change{Kind: store.UserSessionsRevoked, UserID: userID})
	}
	return n, translate(err, nil)
}

func (r sessions) DeleteStale(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int
	err := r.write(func() error {
		ids := r.db.NewSelect().Model((*sessionModel)(nil)).Column("id").
			Where("expires_at < ? OR revoked_at < ?", utc(cutoff), utc(cutoff)).
			OrderExpr("expires_at").Limit(limit)
		// Refresh tokens cascade with their session.
		res, err := r.db.NewDelete().Model((*sessionModel)(nil)).Where("id IN (?)", ids).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}
