package datagen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// DefaultPassword is every generated account's password when
// Config.Password is empty.
const DefaultPassword = "Datagen-Passw0rd!"

// Config says what to load.
type Config struct {
	// Users is how many accounts to create.
	Users int
	// Seed varies everything but the addresses and usernames (Email(i)
	// and Username(i) are the same for every seed). Default 1.
	Seed uint64
	// Now is the moment the data ends at: sign-ups spread over the two
	// years before it. Default: time.Now.
	Now time.Time
	// Password is every account's password. Default: DefaultPassword.
	Password string
	// BcryptCost is the cost of its one hash. Default: bcrypt's default
	// cost (10), cheap enough for load scripts that sign in a lot.
	BcryptCost int
}

// Result counts what Load wrote.
type Result struct {
	Users, Sessions, TwoFactor, Moderators, Admins int
	// Password signs in as any generated user.
	Password string
	Elapsed  time.Duration
}

// Load writes cfg.Users generated accounts into st, which must be
// migrated and hold the built-in roles but none of the generated users.
// The built-in roles are looked up by name. On PostgreSQL it uses COPY and
// ANALYZEs the tables afterwards; building the search index of a million
// users takes longer than the driver's default 10 s read timeout, so give
// the DSN a longer one (read_timeout=15m; scripts/datagen does).
func Load(ctx context.Context, st *bunstore.Store, cfg Config) (Result, error) {
	start := time.Now()
	if cfg.Users <= 0 {
		return Result{}, errors.New("datagen: Users must be positive")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	cfg.Now = cfg.Now.UTC()
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 10
	}
	hash, err := auth.Bcrypt{Cost: cfg.BcryptCost}.Hash(cfg.Password)
	if err != nil {
		return Result{}, fmt.Errorf("datagen: hash: %w", err)
	}
	roles, err := roleIDs(ctx, st)
	if err != nil {
		return Result{}, err
	}
	g := gen{cfg: cfg, hash: hash, roles: roles}
	var res Result
	if st.DB().Dialect().Name() == dialect.PG {
		res, err = g.copyPostgres(ctx, st)
	} else {
		res, err = g.viaStore(ctx, st)
	}
	res.Password, res.Elapsed = cfg.Password, time.Since(start)
	return res, err
}

type gen struct {
	cfg   Config
	hash  string
	roles map[string]string // name → id
}

func (g gen) person(i int) person { return generate(g.cfg.Seed, i, g.cfg.Now, g.hash) }

func roleIDs(ctx context.Context, st store.Store) (map[string]string, error) {
	ids := map[string]string{}
	for _, name := range []string{"user", "moderator", "admin"} {
		r, err := st.Roles().ByName(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("datagen: built-in role %s: %w", name, err)
		}
		ids[name] = r.ID
	}
	return ids, nil
}

func (r *Result) count(p person) {
	r.Users++
	r.Sessions += len(p.sessions)
	if p.twoFactor {
		r.TwoFactor++
	}
	switch p.role {
	case "admin":
		r.Admins++
	case "moderator":
		r.Moderators++
	}
}

// viaStore writes through the store's own methods, in transactions of
// batch users: the path for SQLite, whose single writer COPY would not
// speed up.
func (g gen) viaStore(ctx context.Context, st store.Store) (Result, error) {
	const batch = 2000
	var res Result
	for lo := 0; lo < g.cfg.Users; lo += batch {
		hi := min(lo+batch, g.cfg.Users)
		var part Result
		err := st.InTx(ctx, func(tx store.Repos) error {
			part = Result{}
			for i := lo; i < hi; i++ {
				p := g.person(i)
				if err := g.write(ctx, tx, p); err != nil {
					return fmt.Errorf("user %d: %w", i, err)
				}
				part.count(p)
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("datagen: %w", err)
		}
		res.Users += part.Users
		res.Sessions += part.Sessions
		res.TwoFactor += part.TwoFactor
		res.Moderators += part.Moderators
		res.Admins += part.Admins
	}
	return res, nil
}

func (g gen) write(ctx context.Context, tx store.Repos, p person) error {
	u := p.user
	if err := tx.Users().Create(ctx, &u); err != nil {
		return err
	}
	if err := tx.Roles().Assign(ctx, u.ID, g.roles[p.role], u.CreatedAt); err != nil {
		return err
	}
	for _, s := range p.sessions {
		if err := tx.Sessions().Create(ctx, &s); err != nil {
			return err
		}
	}
	if p.twoFactor {
		secret := make([]byte, 20)
		_, _ = rand.Read(secret)
		tf := store.TwoFactor{UserID: u.ID, Method: store.MethodTOTP, Secret: secret, Enabled: true,
			CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
		if err := tx.TwoFactor().Put(ctx, &tf); err != nil {
			return err
		}
	}
	return nil
}
