package usermgmt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// importCSV posts csv as the multipart field "file".
func (e *rbacEnv) importCSV(t *testing.T, query, csv, token string) *e2eResp {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "users.csv")
	require.NoError(t, err)
	_, err = fw.Write([]byte(csv))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	hdr := []string{"Content-Type", mw.FormDataContentType()}
	if token != "" {
		hdr = append(hdr, e2eBearer(token)...)
	}
	return e.post(t, "/admin/users/import"+query, e2eRaw(body.String()), hdr...)
}

type importAnswer struct {
	Created int `json:"created"`
	Skipped int `json:"skipped"`
	Errors  []struct {
		Row     int    `json:"row"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decodeImport(t *testing.T, r *e2eResp) importAnswer {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, r.String())
	var a importAnswer
	require.NoError(t, json.Unmarshal(r.Body, &a))
	return a
}

// phcHash is an argon2id hash in PHC form, as another system makes it.
func phcHash(t *testing.T, password string) string {
	salt := make([]byte, 16)
	_, err := rand.Read(salt)
	require.NoError(t, err)
	key := argon2.IDKey([]byte(password), salt, 2, 19456, 1, 32)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=19456,t=2,p=1$%s$%s", b.EncodeToString(salt), b.EncodeToString(key))
}

func TestE2EAdminImportCSV(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		legacy, err := bcrypt.GenerateFromPassword([]byte("legacy-secret-pass-1"), 4)
		require.NoError(t, err)
		csv := "\xef\xbb\xbfEmail,username,firstName,lastName,roles,emailVerified,password,phoneNumber\r\n" +
			"new1@example.com,newone,\"Quote \"\"Q\"\", Person\",Last,moderator,true," + e2ePassword + ",+44 20 7946 0958\r\n" + // 2
			"user@example.com,,,,,,,\r\n" + // 3: exists, skipped
			"not-an-email,,\"two\nlines\",,,,,\r\n" + // 4, spanning 2 lines
			"new1@example.com,,,,,,,\r\n" + // 6: duplicate of line 2
			"weak@example.com,,,,,,short,\r\n" + // 7
			"role@example.com,,,,nosuchrole,,,\r\n" + // 8
			"flag@example.com,,,,,maybe,,\r\n" + // 9
			"few@example.com,,\r\n" + // 10: wrong field count
			"legacy@example.com,,\"=HYPERLINK(\"\"x\"\")\",@evil,,," + string(legacy) + ",\r\n" + // 11
			"argon@example.com,,,,,,\"" + phcHash(t, "argon-secret-pass-2") + "\",\r\n" + // 12
			"invited@example.com,invitee,,,,,,\r\n" + // 13
			"badhash@example.com,,,,,,$2a$99$abc,\r\n" // 14

		dry := decodeImport(t, e.importCSV(t, "?dryRun=true", csv, e.admin))
		_, err = st.Users().ByEmail(context.Background(), "new1@example.com")
		assert.ErrorIs(t, err, store.ErrUserNotFound, "a dry run writes nothing")

		a := decodeImport(t, e.importCSV(t, "?sendInvites=true", csv, e.admin))
		assert.Equal(t, dry, a, "the dry run reported what the import did")
		assert.Equal(t, 4, a.Created)
		assert.Equal(t, 1, a.Skipped)
		rows := map[int]string{}
		for _, er := range a.Errors {
			rows[er.Row] = er.Message
		}
		assert.Equal(t, []int{4, 6, 7, 8, 9, 10, 14}, sortedKeys(rows), "errors: %v", a.Errors)
		assert.Contains(t, rows[4], "email")
		assert.Contains(t, rows[4], "firstName: must be a single line")
		assert.Contains(t, rows[6], "email: the same as on line 2")
		assert.Contains(t, rows[7], "password")
		assert.Contains(t, rows[8], "nosuchrole")
		assert.Contains(t, rows[9], "emailVerified")
		assert.Contains(t, rows[14], "password")

		ctx := context.Background()
		u, err := st.Users().ByEmail(ctx, "new1@example.com")
		require.NoError(t, err)
		assert.Equal(t, `Quote "Q", Person`, u.FirstName)
		assert.True(t, u.EmailVerified)
		assert.Equal(t, "+442079460958", u.PhoneNumber)
		roles, err := st.Roles().RolesOf(ctx, u.ID)
		require.NoError(t, err)
		require.Len(t, roles, 1)
		assert.Equal(t, "moderator", roles[0].Name)
		hostile, err := st.Users().ByEmail(ctx, "legacy@example.com")
		require.NoError(t, err)
		assert.Equal(t, `=HYPERLINK("x")`, hostile.FirstName, "formula text is data; the export neutralises it")

		e.login(t, "new1@example.com", e2ePassword)
		e.login(t, "legacy@example.com", "legacy-secret-pass-1")
		e.login(t, "argon@example.com", "argon-secret-pass-2")
		after, err := st.Users().ByEmail(ctx, "legacy@example.com")
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(after.PasswordHash, "$bcrypt-sha256$"), "the login replaced the imported hash")

		invite := e.mail.next(t, "invited@example.com", "", 5*time.Second)
		token, _ := e.linkToken(t, invite)
		r := e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": e2ePassword})
		require.Equal(t, http.StatusOK, r.Status, r.String())
		e.login(t, "invited@example.com", e2ePassword)

		n, err := st.Audit().Count(ctx, store.AuditFilter{Action: "admin.users.import", ActorID: e.adminID})
		require.NoError(t, err)
		assert.Equal(t, 4+2, n, "one row per created user and one per import (the dry run too)")
	})
}

func sortedKeys(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestE2EAdminImportJSON(t *testing.T) {
	e := newRBACEnv(t, nil)
	r := e.post(t, "/admin/users/import", map[string]any{"users": []map[string]any{
		{"email": "a@example.com", "firstName": "A", "password": e2ePassword},
		{"email": "b@example.com", "nickname": "x"},
		{"email": "A@EXAMPLE.com"},
		{"email": "c@example.com", "roles": []string{"admin"}},
	}}, e2eBearer(e.admin)...)
	a := decodeImport(t, r)
	assert.Equal(t, 2, a.Created)
	require.Len(t, a.Errors, 2)
	assert.Equal(t, 2, a.Errors[0].Row, "JSON rows are 1-based indexes")
	assert.Contains(t, a.Errors[0].Message, "nickname")
	assert.Equal(t, 3, a.Errors[1].Row)
	assert.Contains(t, a.Errors[1].Message, "email: the same as on line 1")

	t.Run("Escalation", func(t *testing.T) {
		require.NoError(t, e.m.Store().Roles().Create(context.Background(), &store.Role{Name: "importer", Permissions: []string{"USER_CREATE", "ROLE_ASSIGN"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}))
		role, err := e.m.Store().Roles().ByName(context.Background(), "importer")
		require.NoError(t, err)
		require.NoError(t, e.m.Store().Roles().Assign(context.Background(), e.userID, role.ID, time.Now()))
		tok := e.login(t, "user@example.com", e2ePassword).AccessToken
		a := decodeImport(t, e.post(t, "/admin/users/import", map[string]any{"users": []map[string]any{
			{"email": "up@example.com", "roles": []string{"admin"}},
			{"email": "same@example.com", "roles": []string{"importer"}},
		}}, e2eBearer(tok)...))
		assert.Equal(t, 1, a.Created)
		require.Len(t, a.Errors, 1)
		assert.Equal(t, 1, a.Errors[0].Row)
		assert.Contains(t, a.Errors[0].Message, "which you do not hold")
	})
}

func TestE2EAdminImportRefusals(t *testing.T) {
	e := newRBACEnv(t, nil, usermgmt.WithImportLimit(4<<10))
	csv := "email\r\nx@example.com\r\n"
	e2eCheckProblem(t, e.importCSV(t, "", csv, ""), 401, "UNAUTHENTICATED")
	before := deniedRows(t, e)
	e2eCheckProblem(t, e.importCSV(t, "", csv, e.moderator), 403, "PERMISSION_DENIED")
	assert.Equal(t, before+1, deniedRows(t, e))

	big := "email\r\n" + strings.Repeat("someone-with-a-long-address@example.com\r\n", 200)
	e2eCheckProblem(t, e.importCSV(t, "", big, e.admin), 413, "PAYLOAD_TOO_LARGE")
	e2eCheckProblem(t, e.post(t, "/admin/users/import", e2eRaw(csv), "Content-Type", "text/csv", "Authorization", "Bearer "+e.admin), 415, "UNSUPPORTED_MEDIA_TYPE")

	tests := []struct {
		name, query, csv string
		field            string
	}{
		{"NoEmailColumn", "", "username\r\nbob\r\n", "file"},
		{"UnknownColumn", "", "email,shoeSize\r\nx@example.com,42\r\n", "file"},
		{"TwiceNamed", "", "email,EMAIL\r\nx@example.com,y@example.com\r\n", "file"},
		{"Empty", "", "", "file"},
		{"BareQuote", "", "email\r\na\"b@example.com\r\n", "file"},
		{"BadDryRun", "?dryRun=maybe", csv, "dryRun"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e2eCheckProblem(t, e.importCSV(t, tc.query, tc.csv, e.admin), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{tc.field}, p.Fields())
		})
	}
	t.Run("NoFilePart", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("other", "x"))
		require.NoError(t, mw.Close())
		p := e2eCheckProblem(t, e.post(t, "/admin/users/import", e2eRaw(body.String()), "Content-Type", mw.FormDataContentType(), "Authorization", "Bearer "+e.admin), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{"file"}, p.Fields())
	})
	t.Run("JSONShape", func(t *testing.T) {
		e2eCheckProblem(t, e.post(t, "/admin/users/import", e2eRaw(`[1]`), e2eBearer(e.admin)...), 400, "MALFORMED_JSON")
		p := e2eCheckProblem(t, e.post(t, "/admin/users/import", map[string]any{"people": []int{}}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{"people"}, p.Fields())
	})
}
