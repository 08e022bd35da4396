-- Programs (the spec as loaded, with its hash) and the analysis results the report reads.
CREATE TABLE IF NOT EXISTS programs (
    program_id   VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    design       VARCHAR NOT NULL,
    primary_kpi  VARCHAR NOT NULL,
    spec_path    VARCHAR,
    spec_text    VARCHAR NOT NULL,
    spec_hash    VARCHAR NOT NULL,
    loaded_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE IF NOT EXISTS results_seq START 1;

CREATE TABLE IF NOT EXISTS results (
    result_id    BIGINT PRIMARY KEY DEFAULT nextval('results_seq'),
    program_id   VARCHAR NOT NULL,
    kpi          VARCHAR,
    stage        VARCHAR NOT NULL,          -- 'attribution' | 'roi'
    spec_hash    VARCHAR NOT NULL,
    payload      JSON NOT NULL,             -- the result's to_dict()
    learnroi_version VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
