-- The whole schema of usermgmt. Written once for both dialects: the
-- placeholders {{id}}, {{time}}, {{bytes}}, {{bool}} and {{json}} become
-- uuid/timestamptz/bytea/boolean/text on PostgreSQL and
-- TEXT/TEXT/BLOB/BOOLEAN/TEXT on SQLite.

CREATE TABLE users (
	id {{id}} PRIMARY KEY,
	email TEXT NOT NULL,
	pending_email TEXT,
	email_verified {{bool}} NOT NULL DEFAULT FALSE,
	username TEXT,
	first_name TEXT,
	last_name TEXT,
	display_name TEXT,
	phone_number TEXT,
	bio TEXT,
	location TEXT,
	website TEXT,
	avatar_url TEXT,
	visibility TEXT NOT NULL DEFAULT 'public',
	status TEXT NOT NULL DEFAULT 'active',
	password_hash TEXT,
	password_changed_at {{time}},
	suspended_reason TEXT,
	suspended_until {{time}},
	deleted_at {{time}},
	purge_after {{time}},
	two_factor_enabled {{bool}} NOT NULL DEFAULT FALSE,
	two_factor_method TEXT,
	preferences {{json}} NOT NULL,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL,
	last_login_at {{time}}
);
-- Uniqueness ignores letter case, decided by the database so that
-- concurrent sign-ups cannot both win.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_status_idx ON users (status);
CREATE INDEX users_purge_after_idx ON users (purge_after);

CREATE TABLE password_history (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	created_at {{time}} NOT NULL
);
CREATE INDEX password_history_user_idx ON password_history (user_id, created_at);

CREATE TABLE roles (
	id {{id}} PRIMARY KEY,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	permissions {{json}} NOT NULL,
	built_in {{bool}} NOT NULL DEFAULT FALSE,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE UNIQUE INDEX roles_name_key ON roles (lower(name));

CREATE TABLE user_roles (
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role_id {{id}} NOT NULL REFERENCES roles (id),
	created_at {{time}} NOT NULL,
	PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

CREATE TABLE sessions (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	device_name TEXT,
	ip TEXT,
	user_agent TEXT,
	fingerprint_hash TEXT,
	impersonator_id {{id}},
	created_at {{time}} NOT NULL,
	last_seen_at {{time}} NOT NULL,
	expires_at {{time}} NOT NULL,
	revoked_at {{time}},
	revoke_reason TEXT,
	mfa_verified_at {{time}}
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at);

CREATE TABLE refresh_tokens (
	id {{id}} PRIMARY KEY,
	session_id {{id}} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id {{id}} NOT NULL,
	hash {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL,
	expires_at {{time}} NOT NULL,
	used_at {{time}}
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (hash);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE one_time_tokens (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	hash {{bytes}} NOT NULL,
	data TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at {{time}} NOT NULL,
	expires_at {{time}} NOT NULL,
	used_at {{time}}
);
CREATE UNIQUE INDEX one_time_tokens_hash_key ON one_time_tokens (purpose, hash);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires_idx ON one_time_tokens (expires_at);

CREATE TABLE login_failures (
	identifier TEXT PRIMARY KEY,
	count INTEGER NOT NULL,
	window_start {{time}} NOT NULL,
	locked_until {{time}},
	locks INTEGER NOT NULL DEFAULT 0,
	updated_at {{time}} NOT NULL
);

CREATE TABLE two_factor (
	user_id {{id}} PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	method TEXT NOT NULL,
	secret {{bytes}},
	enabled {{bool}} NOT NULL DEFAULT FALSE,
	last_step BIGINT NOT NULL DEFAULT 0,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);

CREATE TABLE backup_codes (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL,
	used_at {{time}}
);
CREATE INDEX backup_codes_user_idx ON backup_codes (user_id);

-- Audit rows outlive their users: no foreign keys, anonymised on erasure.
CREATE TABLE audit_log (
	id {{id}} PRIMARY KEY,
	actor_id {{id}},
	impersonator_id {{id}},
	action TEXT NOT NULL,
	target_id {{id}},
	outcome TEXT NOT NULL,
	ip TEXT,
	user_agent TEXT,
	request_id TEXT,
	metadata {{json}},
	created_at {{time}} NOT NULL
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, created_at);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at);

CREATE TABLE notifications (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type TEXT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	data {{json}},
	read_at {{time}},
	created_at {{time}} NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);

CREATE TABLE signing_keys (
	id TEXT PRIMARY KEY,
	algorithm TEXT NOT NULL,
	private_key {{bytes}} NOT NULL,
	created_at {{time}} NOT NULL,
	retire_at {{time}}
);

CREATE TABLE avatars (
	id {{id}} PRIMARY KEY,
	user_id {{id}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	width INTEGER NOT NULL,
	height INTEGER NOT NULL,
	created_at {{time}} NOT NULL
);
CREATE UNIQUE INDEX avatars_user_key ON avatars (user_id);

-- Built-in roles. Their ids are fixed so every database agrees on them.
INSERT INTO roles (id, name, description, permissions, built_in, created_at, updated_at) VALUES
	('00000000-0000-7000-8000-000000000001', 'admin', 'Full access to everything', '["ADMIN_ACCESS","ADMIN_SETTINGS","AUDIT_READ","ROLE_ASSIGN","ROLE_CREATE","ROLE_DELETE","ROLE_READ","ROLE_UPDATE","SYSTEM_MANAGE","USER_CREATE","USER_DELETE","USER_MANAGE","USER_READ","USER_UPDATE"]', TRUE, {{now}}, {{now}}),
	('00000000-0000-7000-8000-000000000002', 'moderator', 'Reads and edits users, reads the audit log', '["AUDIT_READ","USER_READ","USER_UPDATE"]', TRUE, {{now}}, {{now}}),
	('00000000-0000-7000-8000-000000000003', 'user', 'A signed-in user: own profile only', '[]', TRUE, {{now}}, {{now}});
