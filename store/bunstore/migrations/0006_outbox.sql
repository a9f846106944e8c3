-- The transactional outbox: domain events are written here in the
-- transaction of the change they describe and delivered after commit.
-- user_id orders delivery per user and is deliberately not a foreign key:
-- a UserDeleted event outlives its user.
CREATE TABLE outbox_events (
	id {{id}} PRIMARY KEY,
	name TEXT NOT NULL,
	user_id {{id}},
	actor_id {{id}},
	impersonator_id {{id}},
	payload {{json}},
	occurred_at {{time}} NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at {{time}},
	delivered_at {{time}},
	last_error TEXT
);
CREATE INDEX outbox_events_pending_idx ON outbox_events (id) WHERE delivered_at IS NULL;
