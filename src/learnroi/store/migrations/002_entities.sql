-- Versioned entity tables (hist_*): every version of every row ever loaded, with its lineage.
-- _key: hash of the natural key; _hash: hash of the content; _batch_id: the batch that inserted the row;
-- _superseded_by: the batch that replaced (or voided) it, NULL while current; _file/_row: where it came from.
-- Timestamps are UTC (TIMESTAMP without zone); dates stay DATE.

CREATE TABLE hist_employees (
    employee_id VARCHAR, email VARCHAR, full_name VARCHAR, department VARCHAR, team_id VARCHAR,
    role VARCHAR, location VARCHAR, manager_id VARCHAR, hire_date DATE, exit_date DATE,
    loaded_salary DOUBLE, standard_hours DOUBLE,
    _sha1_key VARCHAR,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_assignments (
    program_id VARCHAR, employee_id VARCHAR, arm VARCHAR, stratum VARCHAR, cluster_id VARCHAR,
    assigned_date DATE,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_waves (
    program_id VARCHAR, unit_type VARCHAR, unit_id VARCHAR, wave INTEGER, start_date DATE,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_catalog (
    program_id VARCHAR, course_id VARCHAR, module_id VARCHAR, module_name VARCHAR, modality VARCHAR,
    required BOOLEAN, sequence INTEGER, pathway_id VARCHAR, duration_minutes DOUBLE,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_lms_events (
    event_id VARCHAR, learner_email VARCHAR, program_id VARCHAR, course_id VARCHAR, module_id VARCHAR,
    event_type VARCHAR, "timestamp" TIMESTAMP, score DOUBLE, max_score DOUBLE, assessment VARCHAR,
    attempt INTEGER, duration_seconds DOUBLE,
    learner_key VARCHAR, source VARCHAR,
    registration VARCHAR, verb VARCHAR, activity_id VARCHAR, success BOOLEAN, completion BOOLEAN,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_performance (
    employee_id VARCHAR, period DATE, kpi VARCHAR, value DOUBLE,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_cost_ledger (
    program_id VARCHAR, line_id VARCHAR, date DATE, category VARCHAR, description VARCHAR, amount DOUBLE,
    currency VARCHAR, modality VARCHAR,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);

CREATE TABLE hist_survey_estimates (
    program_id VARCHAR, respondent_id VARCHAR, respondent_role VARCHAR, subject_id VARCHAR, kpi VARCHAR,
    improvement DOUBLE, share_attributed DOUBLE, confidence DOUBLE, response_date DATE,
    _key UHUGEINT NOT NULL, _hash UHUGEINT NOT NULL, _batch_id INTEGER NOT NULL, _superseded_by INTEGER,
    _file VARCHAR, _row BIGINT
);
