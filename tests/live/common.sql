-- The objects that install.sql makes before it includes live.sql (the same
-- in schemas 3 and 4), made here so that live.sql can be tested on its own.
-- Run after names.sql.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE IF NOT EXISTS :"schema".:"log_table" (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     timestamptz      NOT NULL,
    duration_ms    double precision NOT NULL,
    row_count      bigint,
    "concurrently" boolean          NOT NULL,
    refreshed_by   text             NOT NULL DEFAULT session_user,
    status         text             NOT NULL CHECK (status IN ('refreshed', 'failed', 'timeout')),
    sqlstate       text,
    message        text,
    long_values    bigint
);
