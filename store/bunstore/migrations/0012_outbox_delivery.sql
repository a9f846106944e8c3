-- Outbox delivery: a dead-letter state, and the indexes of the claim
-- (the oldest undelivered event of each user) and of erasure.
ALTER TABLE outbox_events ADD COLUMN dead_at {{time}};
CREATE INDEX outbox_events_user_idx ON outbox_events (user_id, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_events_dead_idx ON outbox_events (dead_at, id) WHERE dead_at IS NOT NULL;
CREATE INDEX outbox_events_actor_idx ON outbox_events (actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX outbox_events_impersonator_idx ON outbox_events (impersonator_id) WHERE impersonator_id IS NOT NULL;
