-- Audit rollups: what GET /audit/stats and /audit/analytics read for the
-- hours the background job has closed, so that they no longer count every
-- row of a 30-day window. Hours and bucket starts are whole numbers since
-- the Unix epoch (UTC). No actor ids are kept: erasure has nothing here.
--
-- Entries per hour, action, outcome, and whether the metadata holds
-- "mfa":"required" (the password step of a two-factor sign-in).
CREATE TABLE audit_rollup_counts (
	hour BIGINT NOT NULL,
	action TEXT NOT NULL,
	outcome TEXT NOT NULL,
	mfa_required INTEGER NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (hour, action, outcome, mfa_required)
);
-- Distinct actors of successful entries per closed bucket: hours, UTC
-- days and ISO weeks (width in seconds, start in seconds since the epoch).
-- Distinct counts do not add up across buckets, so each width has its own.
CREATE TABLE audit_rollup_actors (
	width BIGINT NOT NULL,
	start_at BIGINT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (width, start_at)
);
-- Hours that changed after they were rolled up (an entry written late, a
-- retention delete): read from audit_log until the job rolls them again.
CREATE TABLE audit_rollup_dirty (
	hour BIGINT PRIMARY KEY,
	marks BIGINT NOT NULL
);
-- How far the rollups reach: every hour before until_hour is rolled up
-- (or dirty). 0 until the first run.
CREATE TABLE audit_rollup_progress (
	id INTEGER PRIMARY KEY,
	until_hour BIGINT NOT NULL
);
INSERT INTO audit_rollup_progress (id, until_hour) VALUES (1, 0);
