package admin

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// ExportRow is one user as the export shows it: the columns of the
// export, in order, with the names of the roles the user holds, sorted.
type ExportRow struct {
	ID            string
	Email         string
	Username      string
	FirstName     string
	LastName      string
	Status        store.Status
	EmailVerified bool
	Roles         []string
	CreatedAt     time.Time
	LastLoginAt   *time.Time
}

// Export calls fn for every user matching f, oldest first, as the actor
// in ctx, who needs USER_READ. The users stream from one database cursor
// (store.BulkStore.EachUser), so memory stays bounded however many match;
// fn typically encodes each row to a response. An error from fn stops the
// export and is returned. Every export is audited (admin.users.export,
// with the filters used but not the search text, which may be personal
// data), before the first row: it hands over personal data of many users.
// It returns how many rows it passed to fn.
func (s *Service) Export(ctx context.Context, f UserFilter, fn func(ExportRow) error) (int, error) {
	const action = "admin.users.export"
	if _, err := s.cfg.RBAC.Require(ctx, rbac.UserRead, action, ""); err != nil {
		return 0, err
	}
	names, err := s.roleNames(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.cfg.Audit.RecordNow(ctx, audit.Entry{Action: action, Metadata: filterFacts(f)}); err != nil {
		return 0, err
	}
	n := 0
	err = s.st.Bulk().EachUser(ctx, f, func(u *store.UserSummary) error {
		n++
		return fn(exportRow(u, names))
	})
	return n, err
}

// roleNames maps every role's id to its name.
func (s *Service) roleNames(ctx context.Context) (map[string]string, error) {
	roles, err := s.st.Roles().List(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(roles))
	for _, r := range roles {
		names[r.ID] = r.Name
	}
	return names, nil
}

func exportRow(u *store.UserSummary, names map[string]string) ExportRow {
	roles := make([]string, 0, len(u.RoleIDs))
	for _, id := range u.RoleIDs {
		if name, ok := names[id]; ok {
			roles = append(roles, name)
		}
	}
	sort.Strings(roles)
	return ExportRow{ID: u.ID, Email: u.Email, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		Status: u.Status, EmailVerified: u.EmailVerified, Roles: roles, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt}
}

// filterFacts describes f for the audit row, leaving out the search text.
func filterFacts(f UserFilter) map[string]string {
	md := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			md[k] = v
		}
	}
	set("status", string(f.Status))
	set("role", f.Role)
	if f.Q != "" {
		md["q"] = "set"
	}
	for k, b := range map[string]*bool{"emailVerified": f.EmailVerified, "twoFactor": f.TwoFactor} {
		if b != nil {
			md[k] = strconv.FormatBool(*b)
		}
	}
	for k, t := range map[string]time.Time{"createdFrom": f.CreatedFrom, "createdTo": f.CreatedTo} {
		if !t.IsZero() {
			md[k] = t.UTC().Format(time.RFC3339)
		}
	}
	return md
}
