-- Fixed rate-limit windows shared by every instance.
CREATE TABLE rate_limits (
	key TEXT NOT NULL,
	window_start {{time}} NOT NULL,
	window_end {{time}} NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_end_idx ON rate_limits (window_end);
