-- The admin dashboard and statistics (issue 10, part B). Users by status,
-- verified and with 2FA on are counted in one pass over this index (an
-- index-only scan on PostgreSQL) instead of the table; live sessions over
-- a partial index of the sessions not revoked.
CREATE INDEX users_stats_idx ON users (status, email_verified, two_factor_enabled);
CREATE INDEX sessions_live_idx ON sessions (expires_at) WHERE revoked_at IS NULL;
