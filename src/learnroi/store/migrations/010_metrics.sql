-- The access log: every learner-level export (`kpis --by learner`, panel exports) is recorded here
-- (contracts §2, Privacy). Written by learnroi.metrics.access.record_access.
CREATE SEQUENCE IF NOT EXISTS access_log_seq START 1;

CREATE TABLE IF NOT EXISTS access_log (
    access_id    BIGINT PRIMARY KEY DEFAULT nextval('access_log_seq'),
    accessed_at  TIMESTAMP NOT NULL,          -- UTC
    actor        VARCHAR NOT NULL,            -- the OS user who ran the export
    command      VARCHAR NOT NULL,            -- e.g. 'kpis --by learner'
    grain        VARCHAR NOT NULL,            -- 'learner' or 'panel'
    program_id   VARCHAR,                     -- NULL = every program
    kpis         VARCHAR,                     -- comma-separated KPI names
    n_rows       BIGINT NOT NULL,             -- learner-level rows exported
    output       VARCHAR                      -- the file written, NULL for the terminal
);
