package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
)

func TestRouter(t *testing.T) {
	m, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithMailer(&testkit.Mailbox{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	srv := httptest.NewServer(newRouter(m))
	t.Cleanup(srv.Close)

	do := func(method, path, token, body string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(raw)
	}

	status, body := do("GET", "/api/v1/health", "", "")
	assert.Equal(t, http.StatusOK, status, body)

	status, _ = do("POST", "/api/v1/auth/register", "", `{"email":"ada@example.com","password":"correct horse battery"}`)
	require.Equal(t, http.StatusCreated, status)
	status, body = do("POST", "/api/v1/auth/login", "", `{"identifier":"ada@example.com","password":"correct horse battery"}`)
	require.Equal(t, http.StatusOK, status)
	var tokens struct{ AccessToken string }
	require.NoError(t, json.Unmarshal([]byte(body), &tokens))

	status, _ = do("GET", "/orders", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, body = do("GET", "/orders", tokens.AccessToken, "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "orders of ")
	status, _ = do("GET", "/reports", tokens.AccessToken, "")
	assert.Equal(t, http.StatusForbidden, status, "a plain user lacks AUDIT_READ")
}
