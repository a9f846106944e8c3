-- Admin user search (GET /admin/users?q=) on SQLite: an FTS5 table with
-- the trigram tokenizer holds one lower-cased search text per user, the
-- fields separated by char(1) so that no match spans two of them:
--   email | username | first name ' ' last name | display name
-- (userSearchSQLite in store/bunstore/users_list.go reads it). The
-- trigram index answers GLOB '*abc*' for patterns of three or more
-- characters; shorter ones scan the table, which is still correct.
--
-- The FTS rowid cannot be users.rowid (VACUUM may renumber the rowid of a
-- table without an INTEGER PRIMARY KEY), so users_search_ids gives each
-- user a stable one. Triggers keep both in step with users in the same
-- transaction.
CREATE TABLE users_search_ids (
	rid INTEGER PRIMARY KEY,
	user_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE users_search USING fts5(doc, tokenize = 'trigram');
INSERT INTO users_search_ids (user_id) SELECT id FROM users;
INSERT INTO users_search (rowid, doc)
	SELECT s.rid, lower(u.email || char(1) || coalesce(u.username, '') || char(1) || coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || char(1) || coalesce(u.display_name, ''))
	FROM users AS u JOIN users_search_ids AS s ON s.user_id = u.id;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
	INSERT INTO users_search_ids (user_id) VALUES (new.id)
	; INSERT INTO users_search (rowid, doc) VALUES ((SELECT rid FROM users_search_ids WHERE user_id = new.id),
		lower(new.email || char(1) || coalesce(new.username, '') || char(1) || coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(1) || coalesce(new.display_name, '')))
	; END;
CREATE TRIGGER users_search_update AFTER UPDATE OF email, username, first_name, last_name, display_name ON users BEGIN
	UPDATE users_search SET doc = lower(new.email || char(1) || coalesce(new.username, '') || char(1) || coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(1) || coalesce(new.display_name, ''))
		WHERE rowid = (SELECT rid FROM users_search_ids WHERE user_id = new.id)
	; END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
	DELETE FROM users_search WHERE rowid = (SELECT rid FROM users_search_ids WHERE user_id = old.id)
	; DELETE FROM users_search_ids WHERE user_id = old.id
	; END;
-- Status filters page newest first within the status.
DROP INDEX users_status_idx;
CREATE INDEX users_status_created_idx ON users (status, created_at, id);
