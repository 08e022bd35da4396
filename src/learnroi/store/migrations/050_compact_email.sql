-- An LMS event's learner_email is stored only when it differs from learner_key (NULL when equal, '' when
-- the source had none); the view restores it. Rows stored before keep their email: coalesce returns it.
CREATE OR REPLACE VIEW lms_events AS
SELECT e.event_id, nullif(coalesce(e.learner_email, e.learner_key), '') AS learner_email, e.program_id,
       e.course_id, e.module_id, e.event_type, e."timestamp",
       e.score, e.max_score, e.assessment, e.attempt, e.duration_seconds,
       e.learner_key, im.employee_id AS learner_id, e.source
FROM hist_lms_events e LEFT JOIN identity_map im ON im.identity_key = e.learner_key
WHERE e._superseded_by IS NULL;
