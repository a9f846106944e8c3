-- Audit: the outcome and IP filters of GET /audit, newest first, each on
-- an index that also serves its keyset order (actor, target, action and
-- time have theirs since 0003).
CREATE INDEX audit_log_outcome_idx ON audit_log (outcome, created_at, id);
CREATE INDEX audit_log_ip_idx ON audit_log (ip, created_at, id) WHERE ip IS NOT NULL;

-- The devices each user signed in from, as a hash of what identifies the
-- device (never the raw header), so that a sign-in from a new one can be
-- told apart. Erased with the user.
CREATE TABLE known_devices (
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	device_hash TEXT NOT NULL,
	first_seen_at {{time}} NOT NULL,
	PRIMARY KEY (user_id, device_hash)
);
