-- Bookkeeping: ingest batches, the files they read, quarantined values, store-wide settings.
CREATE SEQUENCE IF NOT EXISTS batch_id_seq START 1;

CREATE TABLE batches (
    batch_id       INTEGER PRIMARY KEY,
    kind           VARCHAR NOT NULL,          -- hris, design, lms, xapi, performance, costs, surveys
    source         VARCHAR NOT NULL,          -- files joined by '; ', or the LRS URL
    started_at     TIMESTAMP NOT NULL,        -- UTC
    finished_at    TIMESTAMP,                 -- UTC
    rows_read      BIGINT NOT NULL DEFAULT 0,
    loaded         BIGINT NOT NULL DEFAULT 0,
    quarantined    BIGINT NOT NULL DEFAULT 0,
    skipped        BIGINT NOT NULL DEFAULT 0,
    superseded     BIGINT NOT NULL DEFAULT 0,
    no_changes     BOOLEAN NOT NULL DEFAULT FALSE,
    match_rate     DOUBLE,                    -- share of distinct learners found in identity_map
    unmatched      BIGINT,                    -- distinct learner identities not found
    pseudonymized  BOOLEAN NOT NULL DEFAULT FALSE,
    mapping        VARCHAR,                   -- the mapping (preset name or file) used
    undone_at      TIMESTAMP                  -- set by `ingest --undo`
);

CREATE TABLE batch_files (
    batch_id     INTEGER NOT NULL,
    file         VARCHAR NOT NULL,
    sha256       VARCHAR,
    target       VARCHAR NOT NULL,            -- the canonical table the file fed
    rows_read    BIGINT NOT NULL,
    loaded       BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    skipped      BIGINT NOT NULL,
    superseded   BIGINT NOT NULL
);

CREATE TABLE quarantine (
    batch_id   INTEGER NOT NULL,
    kind       VARCHAR NOT NULL,
    file       VARCHAR NOT NULL,
    "row"      BIGINT,                        -- 1-based data row (header excluded), JSON line or array item
    "column"   VARCHAR,                       -- canonical column (source column in brackets) or NULL for a whole row
    value      VARCHAR,                       -- the offending value (pseudonymized with --pseudonymize)
    reason     VARCHAR NOT NULL,
    row_hash   UHUGEINT                        -- hash of the raw row: the same bad row is quarantined once
);

CREATE TABLE store_settings (
    name   VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- Manual identity links (an LMS user id -> an HR employee id); HRIS-derived keys live in hist_employees.
CREATE TABLE identity_links (
    identity_key  VARCHAR NOT NULL,
    employee_id   VARCHAR NOT NULL,
    batch_id      INTEGER
);

-- Where the last LRS pull stopped, per statements URL (resumable pulls).
CREATE TABLE lrs_cursors (
    url         VARCHAR PRIMARY KEY,
    since       VARCHAR,                      -- the `since` to send next time (newest stored timestamp)
    more        VARCHAR,                      -- a `more` URL still to follow after an interrupted pull
    updated_at  TIMESTAMP NOT NULL
);
