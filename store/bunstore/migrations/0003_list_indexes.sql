-- Indexes for every order a store list offers. Lists page by keyset,
-- WHERE (key, id) < (?, ?) ORDER BY key, id, so each index ends in id.
-- Nullable keys are ordered by (key IS NULL) first, putting rows without a
-- key last in either direction; since that prefix always ascends, each
-- direction needs an index of its own. Expressions match the queries in
-- store/bunstore/*list*.go and the List methods character for character.

-- Users (the admin list). users_created_at_idx (created_at, id) exists.
CREATE INDEX users_email_list_idx ON users (lower(email), id);
CREATE INDEX users_username_list_asc_idx ON users ((lower(username) IS NULL), lower(username), id);
CREATE INDEX users_username_list_desc_idx ON users ((lower(username) IS NULL), lower(username) DESC, id DESC);
CREATE INDEX users_name_list_idx ON users ((lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))), id);
CREATE INDEX users_last_login_list_asc_idx ON users ((last_login_at IS NULL), last_login_at, id);
CREATE INDEX users_last_login_list_desc_idx ON users ((last_login_at IS NULL), last_login_at DESC, id DESC);

-- Audit: newest first, overall and under the actor, target and action
-- filters.
DROP INDEX audit_log_created_idx;
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
DROP INDEX audit_log_actor_idx;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at, id);
DROP INDEX audit_log_target_idx;
CREATE INDEX audit_log_target_idx ON audit_log (target_id, created_at, id);
DROP INDEX audit_log_action_idx;
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at, id);

-- Notifications of a user, all and unread only.
DROP INDEX notifications_user_idx;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at, id) WHERE read_at IS NULL;

-- Sessions of a user by creation and by last use.
DROP INDEX sessions_user_idx;
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at, id);
CREATE INDEX sessions_user_seen_idx ON sessions (user_id, last_seen_at, id);
