-- The current views: exactly the canonical columns of docs/reference/data-layout.md (the latest version of
-- every natural key), with identities resolved through identity_map. The KPI catalog reads these.

CREATE VIEW identity_map AS
SELECT identity_key, employee_id, via FROM (
    SELECT lower(employee_id) AS identity_key, employee_id, 'employee_id' AS via, 1 AS prio
    FROM hist_employees WHERE _superseded_by IS NULL AND employee_id IS NOT NULL
    UNION ALL
    SELECT lower(email), employee_id, 'email', 2
    FROM hist_employees WHERE _superseded_by IS NULL AND email IS NOT NULL AND employee_id IS NOT NULL
    UNION ALL
    SELECT _sha1_key, employee_id, 'mbox_sha1sum', 3
    FROM hist_employees WHERE _superseded_by IS NULL AND _sha1_key IS NOT NULL AND employee_id IS NOT NULL
    UNION ALL
    SELECT identity_key, employee_id, 'link', 4 FROM identity_links
)
QUALIFY row_number() OVER (PARTITION BY identity_key ORDER BY prio, employee_id) = 1;

CREATE VIEW employees AS
SELECT employee_id, email, full_name, department, team_id, role, location, manager_id, hire_date, exit_date,
       loaded_salary, standard_hours
FROM hist_employees WHERE _superseded_by IS NULL;

CREATE VIEW assignments AS
SELECT a.program_id, coalesce(im.employee_id, a.employee_id) AS employee_id, a.arm, a.stratum, a.cluster_id,
       a.assigned_date
FROM hist_assignments a LEFT JOIN identity_map im ON im.identity_key = lower(a.employee_id)
WHERE a._superseded_by IS NULL;

CREATE VIEW waves AS
SELECT program_id, unit_type, unit_id, wave, start_date FROM hist_waves WHERE _superseded_by IS NULL;

CREATE VIEW catalog AS
SELECT program_id, course_id, module_id, module_name, modality, required, sequence, pathway_id, duration_minutes
FROM hist_catalog WHERE _superseded_by IS NULL;

CREATE VIEW lms_events AS
SELECT e.event_id, e.learner_email, e.program_id, e.course_id, e.module_id, e.event_type, e."timestamp",
       e.score, e.max_score, e.assessment, e.attempt, e.duration_seconds,
       e.learner_key, im.employee_id AS learner_id, e.source
FROM hist_lms_events e LEFT JOIN identity_map im ON im.identity_key = e.learner_key
WHERE e._superseded_by IS NULL;

CREATE VIEW performance AS
SELECT coalesce(im.employee_id, p.employee_id) AS employee_id, p.period, p.kpi, p.value
FROM hist_performance p LEFT JOIN identity_map im ON im.identity_key = lower(p.employee_id)
WHERE p._superseded_by IS NULL;

CREATE VIEW cost_ledger AS
SELECT program_id, line_id, date, category, description, amount, currency, modality
FROM hist_cost_ledger WHERE _superseded_by IS NULL;

CREATE VIEW survey_estimates AS
SELECT s.program_id, coalesce(r.employee_id, s.respondent_id) AS respondent_id, s.respondent_role,
       coalesce(t.employee_id, s.subject_id) AS subject_id, s.kpi, s.improvement, s.share_attributed,
       s.confidence, s.response_date
FROM hist_survey_estimates s
LEFT JOIN identity_map r ON r.identity_key = lower(s.respondent_id)
LEFT JOIN identity_map t ON t.identity_key = lower(s.subject_id)
WHERE s._superseded_by IS NULL;
