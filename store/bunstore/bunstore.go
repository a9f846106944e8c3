package bunstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/store"
)

// Store implements store.Store on a *bun.DB.
type Store struct {
	repos
	db *bun.DB
	// writeMu serialises writers on SQLite, which allows one writer at a
	// time: queueing here instead of in SQLite's busy handler means parallel
	// requests never see "database is locked". It is nil on PostgreSQL.
	writeMu *sync.Mutex
	changes changeHub
	// listener hears other instances' changes (PostgreSQL through
	// pgdriver only; nil otherwise).
	listener *listener
}

var _ store.Store = (*Store)(nil)

// New returns a Store on db, which must use pgdialect or sqlitedialect. For
// SQLite, open the database as Open does (WAL, a busy timeout, foreign keys
// and immediate transactions) or writers from other processes may fail.
func New(db *bun.DB) (*Store, error) {
	s := &Store{db: db}
	switch db.Dialect().Name() {
	case dialect.PG:
	case dialect.SQLite:
		s.writeMu = new(sync.Mutex)
	default:
		return nil, fmt.Errorf("bunstore: unsupported dialect %s", db.Dialect().Name())
	}
	s.repos = repos{s: s, db: db}
	if s.writeMu == nil {
		s.startListener(db)
	}
	return s, nil
}

// DB returns the underlying database handle.
func (s *Store) DB() *bun.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return store.ErrStoreUnavailable.Wrap(err)
	}
	return nil
}

// Close stops listening to other instances and closes the database.
func (s *Store) Close() error {
	if s.listener != nil {
		s.listener.stop()
	}
	return s.db.Close()
}

// InTx runs fn in a transaction. On PostgreSQL a serialization failure or
// deadlock retries fn up to three times in all, and the changes fn made
// are sent to other instances (NOTIFY) in the transaction, so that they
// hear them exactly when it commits.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Repos) error) error {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		p := new(pending)
		err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := fn(repos{s: s, db: tx, inTx: true, pending: p}); err != nil {
				return err
			}
			return s.notify(ctx, tx, p.changes)
		})
		if err == nil {
			s.changes.publish(p.changes...)
		}
		if !retryable(err) {
			break
		}
	}
	return translate(err, nil)
}

// repos implements store.Repos on either the database or a transaction.
type repos struct {
	s    *Store
	db   bun.IDB
	inTx bool
	// pending holds a transaction's changes until it commits; nil outside
	// one.
	pending *pending
}

// write runs one writing statement, holding the SQLite writer lock when
// not already inside a transaction (which holds it).
func (r repos) write(fn func() error) error {
	if r.s.writeMu != nil && !r.inTx {
		r.s.writeMu.Lock()
		defer r.s.writeMu.Unlock()
	}
	return fn()
}

func (r repos) Users() store.UserStore                 { return users{r} }
func (r repos) Roles() store.RoleStore                 { return roles{r} }
func (r repos) Sessions() store.SessionStore           { return sessions{r} }
func (r repos) RefreshTokens() store.RefreshTokenStore { return refreshTokens{r} }
func (r repos) OneTimeTokens() store.OneTimeTokenStore { return oneTimeTokens{r} }
func (r repos) Lockout() store.LockoutStore            { return lockout{r} }
func (r repos) TwoFactor() store.TwoFactorStore        { return twoFactor{r} }
func (r repos) Audit() store.AuditStore                { return auditLog{r} }
func (r repos) Notifications() store.NotificationStore { return notifications{r} }
func (r repos) SigningKeys() store.SigningKeyStore     { return signingKeys{r} }
func (r repos) Avatars() store.AvatarStore             { return avatars{r} }
func (r repos) RateLimits() store.RateLimitStore       { return rateLimits{r} }
func (r repos) Erasure() store.ErasureStore            { return erasure{r} }
func (r repos) Events() store.EventStore               { return events{r} }
func (r repos) Bulk() store.BulkStore                  { return bulk{r} }
func (r repos) UserStats() store.UserStatsStore        { return userStats{r} }

// affected returns an error matching notFound when res changed no row.
func affected(res sql.Result, notFound *store.Error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

func rowsAffected(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	return int(n), err
}

// utc normalises times before they are written so that SQLite's text
// timestamps compare correctly.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
