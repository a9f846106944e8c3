-- Erasing an account deletes its refresh tokens and pseudonymises the
-- audit rows naming it as impersonator; without these indexes each erasure
-- scanned both tables whole, so a purge slowed down as they grew.
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX audit_log_impersonator_idx ON audit_log (impersonator_id) WHERE impersonator_id IS NOT NULL;
