-- PostgreSQL records each System Log event's transaction so that ascending reads never skip an
-- event committed late (see migrations/postgres/0006). SQLite has one writer at a time and
-- commits in seq order: nothing to do. This file keeps the two migration sequences aligned.
SELECT 1;
