-- Define step (learnroi.design): pre-registered pilot plans, the hypothesis registry and interim looks.
-- Assignments and roll-out waves live in hist_assignments / hist_waves (001-003), filled by `ingest design`.

-- One row per version of a program's pilot plan; the highest version is the plan in force.
CREATE TABLE IF NOT EXISTS pilot_plans (
    program_id          VARCHAR NOT NULL,
    version             INTEGER NOT NULL,
    primary_kpi         VARCHAR NOT NULL,
    guardrails          VARCHAR[] NOT NULL,
    design              VARCHAR NOT NULL,        -- individual | cluster | staggered
    unit                VARCHAR NOT NULL,        -- employee | team | department
    cluster             VARCHAR,                 -- the cluster column (team_id) for cluster designs
    strata              VARCHAR[] NOT NULL,
    allocation          DOUBLE NOT NULL,         -- share treated
    baseline_start      DATE NOT NULL,
    baseline_end        DATE NOT NULL,
    intervention_start  DATE NOT NULL,
    intervention_end    DATE NOT NULL,
    measurement_start   DATE NOT NULL,
    measurement_end     DATE NOT NULL,
    analysis_design     VARCHAR NOT NULL,        -- the attribution design the analysis must use
    analysis_method     VARCHAR NOT NULL,        -- the pre-registered method, in words
    alpha               DOUBLE NOT NULL,
    alpha_interim       DOUBLE,                  -- spent on always-valid interim looks (NULL: none planned)
    interim_looks       DATE[] NOT NULL,
    target_power        DOUBLE,
    assumed_effect      DOUBLE,                  -- in the KPI's unit
    mde                 DOUBLE,                  -- minimum detectable effect at n_planned
    n_planned           BIGINT,
    n_treatment         BIGINT,
    n_control           BIGINT,
    seed                BIGINT,
    hypothesis_id       VARCHAR,
    spec_hash           VARCHAR,
    payload             JSON NOT NULL,           -- the plan's to_dict(), power result included
    created_at          TIMESTAMP NOT NULL,      -- UTC
    PRIMARY KEY (program_id, version)
);

CREATE VIEW IF NOT EXISTS current_pilot_plans AS
SELECT * FROM pilot_plans QUALIFY row_number() OVER (PARTITION BY program_id ORDER BY version DESC) = 1;

-- The hypothesis registry: one row per hypothesis, as it stands now.
CREATE TABLE IF NOT EXISTS hypotheses (
    hypothesis_id        VARCHAR PRIMARY KEY,
    program_id           VARCHAR NOT NULL,
    kpi                  VARCHAR NOT NULL,
    assumed_effect       DOUBLE NOT NULL,
    assumed_effect_unit  VARCHAR NOT NULL,       -- relative (0.05 = +5 %); anything else: KPI units
    rationale            VARCHAR NOT NULL DEFAULT '',
    owner                VARCHAR NOT NULL DEFAULT '',
    data_steward         VARCHAR NOT NULL DEFAULT '',
    status               VARCHAR NOT NULL,       -- proposed | piloting | confirmed | refuted | inconclusive
    observed_effect      DOUBLE,                 -- filled in by each analysis (KPI units)
    observed_conf_low    DOUBLE,
    observed_conf_high   DOUBLE,
    observed_method      VARCHAR,
    observed_at          TIMESTAMP,
    created_on           DATE NOT NULL,
    last_review          DATE,
    next_review          DATE NOT NULL,          -- quarterly
    updated_at           TIMESTAMP NOT NULL
);

-- Its history: every addition, review and observed effect, never updated.
CREATE TABLE IF NOT EXISTS hypothesis_events (
    hypothesis_id   VARCHAR NOT NULL,
    event_at        TIMESTAMP NOT NULL,
    event           VARCHAR NOT NULL,            -- added | updated | reviewed | observed | piloting
    status          VARCHAR NOT NULL,
    estimate        DOUBLE,
    conf_low        DOUBLE,
    conf_high       DOUBLE,
    method          VARCHAR,
    note            VARCHAR NOT NULL DEFAULT '',
    by_whom         VARCHAR NOT NULL DEFAULT ''
);

-- Interim looks at a running pilot, with their always-valid reading (learnroi.design.sequential).
CREATE TABLE IF NOT EXISTS interim_looks (
    program_id   VARCHAR NOT NULL,
    kpi          VARCHAR NOT NULL,
    look         INTEGER NOT NULL,
    looked_at    TIMESTAMP NOT NULL,
    n            DOUBLE,
    estimate     DOUBLE NOT NULL,
    std_error    DOUBLE NOT NULL,
    conf_low     DOUBLE NOT NULL,               -- always-valid confidence sequence at 1 - alpha_interim
    conf_high    DOUBLE NOT NULL,
    p_value      DOUBLE NOT NULL,               -- always-valid p-value
    reject       BOOLEAN NOT NULL,
    decision     VARCHAR NOT NULL
);
