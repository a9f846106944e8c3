-- Admin user search (GET /admin/users?q=): a substring match, ignoring
-- letter case, over one search text per user, the fields separated by
-- chr(1) so that no match spans two of them:
--   email | username | first name ' ' last name | display name
-- The expression is userSearchPG in store/bunstore/users_list.go, character
-- for character, so that the planner uses the index.
--
-- pg_trgm's GIN index serves LIKE '%abc%' for patterns of three or more
-- characters. CREATE EXTENSION needs the CREATE privilege on the database
-- (pg_trgm is a trusted extension since PostgreSQL 13) and the contrib
-- modules on the server. Where either is missing the block below skips the
-- extension and the index with a NOTICE instead of failing the migration:
-- search still answers, by scanning the rows the other filters leave. Such
-- a host can later have a superuser run, in this schema,
--   CREATE EXTENSION pg_trgm;
--   CREATE INDEX users_search_trgm_idx ON users USING gin ((<the expression>) gin_trgm_ops);
-- (the same statement as below) and search becomes indexed with no
-- change to the code. An extension exists once per database, not per
-- schema, so it goes into public where that is allowed (dropping the
-- schema of one tenant, or of one test, must not drop it under the
-- others), else into the current schema; the operator class is named with
-- the schema it is in.
--
-- On a large existing table the index build runs inside Migrate's
-- transaction (writes to users wait meanwhile; give the DSN a longer
-- read_timeout than pgdriver's 10 s default). A host may instead build it
-- beforehand with CREATE INDEX CONCURRENTLY under the same name, which
-- this migration then keeps (IF NOT EXISTS).
DO $$
DECLARE trgm text
;BEGIN
	BEGIN
		CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public
		;EXCEPTION WHEN OTHERS THEN
		BEGIN
			CREATE EXTENSION IF NOT EXISTS pg_trgm
			;EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'usermgmt: pg_trgm unavailable (%), admin search runs without an index', SQLERRM
		;END
	;END
	;SELECT extnamespace::regnamespace::text INTO trgm FROM pg_extension WHERE extname = 'pg_trgm'
	;IF trgm IS NOT NULL THEN
		EXECUTE 'CREATE INDEX IF NOT EXISTS users_search_trgm_idx ON users USING gin ((lower(email || chr(1) || coalesce(username, '''') || chr(1) || coalesce(first_name, '''') || '' '' || coalesce(last_name, '''') || chr(1) || coalesce(display_name, ''''))) ' || trgm || '.gin_trgm_ops)'
		-- pg_trgm estimates every LIKE on an expression it has no fine
		-- statistics for at 100 rows, so for a common fragment (0.5 % of
		-- a million users) the planner fetched and sorted thousands of
		-- matches (45-55 ms) instead of walking created_at and stopping
		-- after a page (13-25 ms). A finer histogram of the search text
		-- makes the estimate, and the choice, right.
		;EXECUTE 'ALTER INDEX users_search_trgm_idx ALTER COLUMN 1 SET STATISTICS 1000'
	;END IF
;END
$$;
-- Status filters page newest first within the status.
DROP INDEX users_status_idx;
CREATE INDEX users_status_created_idx ON users (status, created_at, id);
