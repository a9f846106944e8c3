-- Audit: the outcome and IP filters of GET /audit, newest first, each on
-- an index that also serves its keyset order (actor, target, action and
-- time have theirs since 0003).
CREATE INDEX audit_log_outcome_idx ON audit_log (outcome, created_at, id);
CREATE INDEX audit_log_ip_idx ON audit_log (ip, created_at, id) WHERE ip IS NOT NULL;
