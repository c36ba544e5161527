-- Indexes the admin console's everyday questions need (issue #12, measured with
-- scripts/bench-console.sh over 100,000 users and 1,000,000 events).
--
-- Okta's `q` (the console's "Find" box) matches a prefix of the login, email, first name or
-- last name. With every one of the four columns indexed, the OR of four prefix ranges is answered
-- from the indexes (SQLite's multi-index OR, PostgreSQL's bitmap OR) instead of a scan of every
-- user: 113 ms -> 0.9 ms p50 for a specific prefix.
CREATE INDEX users_first_name_lower_idx ON users (first_name_lower);

-- The dashboard's "recent failures" (`outcome.result eq "FAILURE"`, newest first) reads the
-- newest failures from this index instead of walking back through every event until it has
-- found enough: 415 ms -> a few ms when failures are rare.
CREATE INDEX log_events_outcome_idx ON log_events (outcome_result, seq);
