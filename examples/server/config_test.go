package main

import (
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c config)
		wantErr []string // each bad variable is named
	}{
		{
			name: "defaults",
			env:  nil,
			check: func(t *testing.T, c config) {
				assert.Equal(t, ":8080", c.addr)
				assert.Equal(t, "sqlite://usermgmt.db", c.databaseURL)
				assert.Equal(t, "http://localhost:8080", c.baseURL)
				assert.Equal(t, slog.LevelInfo, c.logLevel)
				assert.False(t, c.rateLimitSet)
				assert.Nil(t, c.encryptionKey)
				assert.Len(t, c.options(), 1, "only the base URL: the library's defaults apply")
			},
		},
		{
			name: "every variable",
			env: map[string]string{
				"USERMGMT_ENCRYPTION_KEY":         key,
				"USERMGMT_ACCESS_TOKEN_TTL":       "5m",
				"USERMGMT_REFRESH_TOKEN_TTL":      "72h",
				"USERMGMT_REFRESH_REUSE_GRACE":    "0s",
				"USERMGMT_REQUIRE_VERIFIED_EMAIL": "true",
				"USERMGMT_TRUSTED_PROXIES":        "10.0.0.0/8, 192.168.1.1",
				"USERMGMT_LOG_LEVEL":              "debug",
				"USERMGMT_RATE_LIMIT":             "50",
				"USERMGMT_ADMIN_EMAIL":            "admin@example.com",
				"USERMGMT_ADMIN_PASSWORD":         "a long admin password",
			},
			check: func(t *testing.T, c config) {
				assert.Len(t, c.encryptionKey, 32)
				assert.Equal(t, 5*time.Minute, c.accessTTL)
				assert.Equal(t, 72*time.Hour, c.refreshTTL)
				assert.True(t, c.reuseGraceSet)
				assert.True(t, c.requireVerified)
				assert.Equal(t, []string{"10.0.0.0/8", "192.168.1.1"}, c.trustedProxies)
				assert.Equal(t, slog.LevelDebug, c.logLevel)
				assert.Equal(t, 50, c.rateLimit)
				assert.Len(t, c.options(), 8) // base URL, rate limit, key, 2 TTLs, grace, verified, proxies
			},
		},
		{
			name:  "log level names are case-insensitive",
			env:   map[string]string{"USERMGMT_LOG_LEVEL": "WARN"},
			check: func(t *testing.T, c config) { assert.Equal(t, slog.LevelWarn, c.logLevel) },
		},
		{
			name: "rate limit 0 is set, not left to the default",
			env:  map[string]string{"USERMGMT_RATE_LIMIT": "0"},
			check: func(t *testing.T, c config) {
				assert.True(t, c.rateLimitSet)
				assert.Zero(t, c.rateLimit)
			},
		},
		{
			name: "bad values name their variables, all at once",
			env: map[string]string{
				"USERMGMT_ENCRYPTION_KEY":         base64.StdEncoding.EncodeToString(make([]byte, 16)),
				"USERMGMT_ACCESS_TOKEN_TTL":       "15",
				"USERMGMT_REFRESH_TOKEN_TTL":      "-1h",
				"USERMGMT_REFRESH_REUSE_GRACE":    "soon",
				"USERMGMT_REQUIRE_VERIFIED_EMAIL": "yes please",
				"USERMGMT_TRUSTED_PROXIES":        "10.0.0.0/8,proxy.internal",
				"USERMGMT_LOG_LEVEL":              "loud",
				"USERMGMT_RATE_LIMIT":             "-3",
				"USERMGMT_CORS_ORIGINS":           "app.example.com",
			},
			wantErr: []string{"USERMGMT_ENCRYPTION_KEY: want 32 bytes", "USERMGMT_ACCESS_TOKEN_TTL", "USERMGMT_REFRESH_TOKEN_TTL",
				"USERMGMT_REFRESH_REUSE_GRACE", "USERMGMT_REQUIRE_VERIFIED_EMAIL", `USERMGMT_TRUSTED_PROXIES: want IP addresses or CIDR prefixes such as 10.0.0.0/8, got "proxy.internal"`,
				"USERMGMT_LOG_LEVEL", "USERMGMT_RATE_LIMIT", "USERMGMT_CORS_ORIGINS"},
		},
		{
			name:    "encryption key that is not base64",
			env:     map[string]string{"USERMGMT_ENCRYPTION_KEY": "not base64!"},
			wantErr: []string{"USERMGMT_ENCRYPTION_KEY: want base64"},
		},
		{
			name:    "admin email without password",
			env:     map[string]string{"USERMGMT_ADMIN_EMAIL": "admin@example.com"},
			wantErr: []string{"USERMGMT_ADMIN_EMAIL, USERMGMT_ADMIN_PASSWORD: set both or neither"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(envOf(tc.env))
			if tc.wantErr != nil {
				require.Error(t, err)
				for _, w := range tc.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Len(t, strings.Split(err.Error(), "\n"), len(tc.wantErr))
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestCORSOrigins(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{"USERMGMT_CORS_ORIGINS": "https://app.example.com/, http://localhost:3000"}))
	assert.Equal(t, []string{"https://app.example.com", "http://localhost:3000"}, c.corsOrigins)
	require.NoError(t, err)
	assert.NotNil(t, c.cors)
}

func TestAvatarDir(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "usermgmt-avatars"},
		{map[string]string{"DATABASE_URL": "sqlite:///var/lib/usermgmt/users.db"}, "/var/lib/usermgmt/users-avatars"},
		{map[string]string{"DATABASE_URL": "sqlite://:memory:"}, ""},
		{map[string]string{"DATABASE_URL": "postgres://u@db/usermgmt"}, "usermgmt-avatars"},
		{map[string]string{"DATABASE_URL": "sqlite://:memory:", "USERMGMT_AVATAR_DIR": "/srv/avatars"}, "/srv/avatars"},
	} {
		c, err := loadConfig(envOf(tc.env))
		require.NoError(t, err)
		assert.Equal(t, tc.want, c.avatarDir, "%v", tc.env)
	}
}
