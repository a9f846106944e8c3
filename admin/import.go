package admin

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/users"
)

// ImportBatch is how many rows an import validates, checks against the
// database and inserts together: one transaction, a few multi-row
// statements. Memory is bounded by it, not by the file.
const ImportBatch = 500

// MaxImportErrors is how many row errors an import lists; rows beyond it
// still fail, and the result says how many were left out.
const MaxImportErrors = 1000

// ImportRow is one user of an import file. Line is its line in the file
// (the CSV header is line 1) or its 1-based index in a JSON list. Roles
// are role names; nil gives the sign-up roles. Password is a plain
// password, or an existing hash (auth.IsPasswordHash) taken as is.
// Invalid, when the source sets it (a Validation naming the fields it
// could not read), fails the row.
type ImportRow struct {
	Line          int
	Email         string
	Username      string
	FirstName     string
	LastName      string
	PhoneNumber   string
	Roles         []string
	EmailVerified bool
	Password      string
	Invalid       error
}

// ImportSource yields the rows of an import one at a time; Next returns
// io.EOF after the last. Any other error ends the import.
type ImportSource interface {
	Next() (ImportRow, error)
}

// ImportOptions are the choices of one import.
type ImportOptions struct {
	// DryRun checks every row and reports what would happen, writing
	// nothing.
	DryRun bool
	// SendInvites mails an invitation (a reset link living 7 days) to
	// every created user without a password.
	SendInvites bool
}

// ImportError is a row that was not imported.
type ImportError struct {
	Row     int
	Message string
}

// ImportResult is the outcome of an import: how many users were created
// (or would be, in a dry run), how many rows were skipped because an
// account has their email already, and the rows that failed.
type ImportResult struct {
	Created int
	Skipped int
	Errors  []ImportError
	// ErrorsOmitted counts failed rows beyond MaxImportErrors.
	ErrorsOmitted int
}

func (r *ImportResult) fail(row int, msg string) {
	if len(r.Errors) >= MaxImportErrors {
		r.ErrorsOmitted++
		return
	}
	r.Errors = append(r.Errors, ImportError{Row: row, Message: msg})
}

// Import creates the users src yields, as the actor in ctx, who needs
// USER_CREATE, and ROLE_ASSIGN with every permission of a role a row
// names beyond the sign-up roles (else that row fails). Rows are checked
// as at registration (auth.NewAccount), plain passwords against the
// policy and hashed with the configured hasher, ImportBatch at a time,
// in parallel on all processors; existing hashes (argon2id PHC, bcrypt)
// are kept as they are when auth.CheckImportedHash accepts them, and a
// login replaces them later. A row whose email an account has already is
// skipped; a second row with the email or username of an earlier one
// fails. Each batch is one transaction with one audit row per created
// user (admin.users.import) and one UserCreated event each; one more
// audit row sums the import up. An error from src or the store ends the
// import: batches committed before it stay.
func (s *Service) Import(ctx context.Context, src ImportSource, opt ImportOptions) (ImportResult, error) {
	actor, err := s.cfg.RBAC.Require(ctx, rbac.UserCreate, ActionImport, "")
	if err != nil {
		return ImportResult{}, err
	}
	imp, err := s.newImporter(ctx, actor, opt)
	if err != nil {
		return ImportResult{}, err
	}
	for {
		batch, err := nextBatch(src)
		if len(batch) > 0 {
			if berr := imp.batch(ctx, batch); berr != nil {
				return imp.res, berr
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return imp.res, err
		}
	}
	return imp.res, s.cfg.Audit.RecordNow(ctx, audit.Entry{Action: ActionImport, Metadata: map[string]string{
		"created": strconv.Itoa(imp.res.Created), "skipped": strconv.Itoa(imp.res.Skipped),
		"failed": strconv.Itoa(len(imp.res.Errors) + imp.res.ErrorsOmitted), "dryRun": strconv.FormatBool(opt.DryRun)}})
}

// ActionImport is the audit action of an import: one row per created
// user (the user as target) and one summing the import up.
const ActionImport = "admin.users.import"

// nextBatch reads up to ImportBatch rows; the error is io.EOF at the end.
func nextBatch(src ImportSource) ([]ImportRow, error) {
	batch := make([]ImportRow, 0, ImportBatch)
	for len(batch) < ImportBatch {
		row, err := src.Next()
		if err != nil {
			return batch, err
		}
		batch = append(batch, row)
	}
	return batch, nil
}

// importer is the state of one import: its rules and what it has seen.
type importer struct {
	s        *Service
	opt      ImportOptions
	guard    *guard
	canGrant bool
	roles    map[string]store.Role // by lower-case name
	// seen holds a hash of every email and username of earlier rows (with
	// its line): 8 bytes a row rather than the text, for duplicates
	// across the whole file.
	seed maphash.Seed
	seen map[uint64]int
	res  ImportResult
}

func (s *Service) newImporter(ctx context.Context, actor store.Actor, opt ImportOptions) (*importer, error) {
	g, err := s.newGuard(ctx, actor)
	if err != nil {
		return nil, err
	}
	list, err := s.st.Roles().List(ctx)
	if err != nil {
		return nil, err
	}
	roles := make(map[string]store.Role, len(list))
	for _, r := range list {
		roles[strings.ToLower(r.Name)] = r
	}
	return &importer{s: s, opt: opt, guard: g, canGrant: actor.System || g.held[string(rbac.RoleAssign)],
		roles: roles, seed: maphash.MakeSeed(), seen: map[uint64]int{}}, nil
}

// candidate is a row that passed its checks.
type candidate struct {
	line  int
	user  *store.User
	roles []string // ids
}

func (im *importer) batch(ctx context.Context, rows []ImportRow) error {
	cands := im.check(rows)
	cands, err := im.dropTaken(ctx, cands)
	if err != nil || len(cands) == 0 {
		return err
	}
	if im.opt.DryRun {
		im.res.Created += len(cands)
		return nil
	}
	return im.insert(ctx, cands)
}

// check validates rows in parallel (hashing plain passwords is the slow
// part) and keeps the good ones in file order.
func (im *importer) check(rows []ImportRow) []candidate {
	out := make([]candidate, len(rows))
	msgs := make([]string, len(rows))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range rows {
		g.Go(func() error {
			out[i], msgs[i] = im.account(rows[i])
			return nil
		})
	}
	_ = g.Wait()
	kept := out[:0]
	for i, c := range out {
		switch {
		case msgs[i] != "":
			im.res.fail(rows[i].Line, msgs[i])
		case im.duplicate(c):
			continue
		default:
			kept = append(kept, c)
		}
	}
	return kept
}

// duplicate fails c when an earlier row had its email or username.
func (im *importer) duplicate(c candidate) bool {
	keys := [][2]string{{"email", c.user.Email}}
	if c.user.Username != "" {
		keys = append(keys, [2]string{"username", strings.ToLower(c.user.Username)})
	}
	for _, k := range keys {
		if line, ok := im.seen[im.key(k)]; ok {
			im.res.fail(c.line, k[0]+": the same as on line "+strconv.Itoa(line))
			return true
		}
	}
	for _, k := range keys {
		im.seen[im.key(k)] = c.line
	}
	return false
}

func (im *importer) key(k [2]string) uint64 { return maphash.String(im.seed, k[0]+"\x00"+k[1]) }

// account turns a row into the user to create, or the message of why not.
func (im *importer) account(row ImportRow) (candidate, string) {
	if row.Invalid != nil {
		return candidate{}, rowMessage(row.Invalid)
	}
	roleIDs, msg := im.roleIDs(row.Roles)
	if msg != "" {
		return candidate{}, msg
	}
	reg := auth.Registration{Email: row.Email, Username: row.Username, FirstName: row.FirstName, LastName: row.LastName}
	hashed := auth.IsPasswordHash(row.Password)
	if !hashed {
		reg.Password = row.Password
	} else if err := auth.CheckImportedHash(row.Password); err != nil {
		return candidate{}, "password: " + err.Error()
	}
	u, err := im.s.cfg.Auth.NewAccount(reg)
	if err != nil {
		return candidate{}, rowMessage(err)
	}
	if row.PhoneNumber != "" {
		ch := users.ProfileChange{PhoneNumber: &row.PhoneNumber}
		if err := ch.Validate(); err != nil {
			return candidate{}, rowMessage(err)
		}
		u.PhoneNumber = *ch.PhoneNumber
	}
	if hashed {
		now := im.s.cfg.Now().UTC()
		u.PasswordHash, u.PasswordChangedAt = row.Password, &now
	}
	u.EmailVerified = row.EmailVerified
	return candidate{line: row.Line, user: u, roles: roleIDs}, ""
}

// roleIDs resolves role names, refusing what the caller may not grant.
func (im *importer) roleIDs(names []string) ([]string, string) {
	if names == nil {
		names = im.s.cfg.Auth.SignUpRoles()
	} else if beyond(names, im.s.cfg.Auth.SignUpRoles()) && !im.canGrant {
		return nil, "roles: assigning roles needs the ROLE_ASSIGN permission"
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		r, ok := im.roles[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, "roles: no role is named " + quote(n)
		}
		if p := im.guard.lacks([]string{r.ID}); p != "" {
			return nil, "roles: the role " + r.Name + " grants " + p + ", which you do not hold"
		}
		ids = append(ids, r.ID)
	}
	return ids, ""
}

// rowMessage is the message of a row's error: the fields of a Validation.
func rowMessage(err error) string {
	e := store.AsError(err)
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}
