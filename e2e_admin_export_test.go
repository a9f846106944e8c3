package usermgmt_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// hostileNames are first names a spreadsheet or a CSV reader could trip
// over.
var hostileNames = []string{
	`=HYPERLINK("http://evil.example","x")`, "+1+2", "-3", "@SUM(A1)", "\tTab", "\rCR",
	`say "hi", then`, "two\nlines", "crlf\r\nend", " leading space", "Zoë",
}

func TestE2EAdminExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		ctx := context.Background()
		for i, name := range hostileNames {
			u := &store.User{Email: "h" + string(rune('a'+i)) + "@example.com", FirstName: name, LastName: "Last",
				Status: store.StatusSuspended, Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(),
				CreatedAt: e.clock.Now().Add(time.Duration(i+1) * time.Minute), UpdatedAt: e.clock.Now()}
			require.NoError(t, st.Users().Create(ctx, u))
			require.NoError(t, st.Roles().Assign(ctx, u.ID, e.moderatorRole, e.clock.Now()))
			require.NoError(t, st.Roles().Assign(ctx, u.ID, e.userRole, e.clock.Now()))
		}

		r := e.get(t, "/admin/users/export?status=suspended", e2eBearer(e.admin)...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		assert.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="users-export.csv"`, r.Header.Get("Content-Disposition"))
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		records, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		require.NoError(t, err, "RFC 4180 CSV: %s", r.Body)
		require.Len(t, records, 1+len(hostileNames))
		assert.Equal(t, []string{"id", "email", "username", "firstName", "lastName", "status", "emailVerified", "roles", "createdAt", "lastLoginAt"}, records[0])
		for i, rec := range records[1:] {
			want := hostileNames[i]
			if want[0] == '=' || want[0] == '+' || want[0] == '-' || want[0] == '@' || want[0] == '\t' || want[0] == '\r' {
				want = "'" + want
			}
			// encoding/csv writes line breaks in a cell as CRLF and drops
			// a lone CR; its reader gives LF back.
			assert.Equal(t, strings.ReplaceAll(want, "\r", ""), rec[3], "row %d", i+1)
			assert.Equal(t, "suspended", rec[5])
			assert.Equal(t, "false", rec[6])
			assert.Equal(t, "moderator;user", rec[7])
			assert.Equal(t, "", rec[9], "never signed in")
			for _, cell := range rec {
				if cell != "" {
					assert.NotContains(t, "=+-@\t\r", cell[:1], "no cell starts a formula: %q", cell)
				}
			}
		}

		t.Run("JSON", func(t *testing.T) {
			r := e.get(t, "/admin/users/export?format=json&status=suspended", e2eBearer(e.admin)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			var users []map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &users))
			require.Len(t, users, len(hostileNames))
			for i, u := range users {
				assert.Equal(t, hostileNames[i], u["firstName"], "JSON keeps the text as is")
				assert.Equal(t, []any{"moderator", "user"}, u["roles"])
				assert.Contains(t, u, "username")
				assert.Nil(t, u["username"])
				assert.Len(t, u, 10)
			}
		})
		t.Run("NDJSON", func(t *testing.T) {
			r := e.get(t, "/admin/users/export?format=ndjson&role=admin", e2eBearer(e.admin)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			assert.Equal(t, "application/x-ndjson", r.Header.Get("Content-Type"))
			sc := bufio.NewScanner(bytes.NewReader(r.Body))
			var emails []any
			for sc.Scan() {
				var u map[string]any
				require.NoError(t, json.Unmarshal(sc.Bytes(), &u))
				emails = append(emails, u["email"])
			}
			assert.Equal(t, []any{"admin@example.com"}, emails)
		})
		t.Run("Empty", func(t *testing.T) {
			for format, want := range map[string]string{"csv": "id,email,username,firstName,lastName,status,emailVerified,roles,createdAt,lastLoginAt\r\n", "json": "[]\n", "ndjson": ""} {
				r := e.get(t, "/admin/users/export?status=locked&format="+format, e2eBearer(e.admin)...)
				require.Equal(t, http.StatusOK, r.Status, r.String())
				assert.Equal(t, want, string(r.Body), format)
			}
		})
		t.Run("Audited", func(t *testing.T) {
			n, err := st.Audit().Count(ctx, store.AuditFilter{Action: "admin.users.export", ActorID: e.adminID})
			require.NoError(t, err)
			assert.Positive(t, n)
		})
	})
}

func TestE2EAdminExportRefusals(t *testing.T) {
	e := newRBACEnv(t, nil)
	e2eCheckProblem(t, e.get(t, "/admin/users/export"), 401, "UNAUTHENTICATED")
	before := deniedRows(t, e)
	e2eCheckProblem(t, e.get(t, "/admin/users/export", e2eBearer(e.user)...), 403, "PERMISSION_DENIED")
	assert.Equal(t, before+1, deniedRows(t, e))
	assert.Equal(t, http.StatusOK, e.get(t, "/admin/users/export", e2eBearer(e.moderator)...).Status, "USER_READ is enough")
	p := e2eCheckProblem(t, e.get(t, "/admin/users/export?format=xml&status=gone&emailVerified=maybe", e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
	assert.ElementsMatch(t, []string{"format", "status", "emailVerified"}, p.Fields())
}
