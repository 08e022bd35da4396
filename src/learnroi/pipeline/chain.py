"""Level 2 of the chain of evidence for a program without a pre/post assessment: its quiz results.

Kirkpatrick's Level 2 asks whether learners acquired the knowledge (Kirkpatrick & Kirkpatrick 2016, *Four
Levels of Training Evaluation*). The preferred measure is a pre/post gain
(``learnroi.metrics`` ``competency_gain``); a program assessed only by graded quizzes after its content
(annual compliance training, say) has a post-only measure instead, which shows what learners know after the
course but not what they learned from it (no baseline). Measures, per learner then averaged over learners:

- ``quiz_score_mean``: the first attempt's score as a share of ``max_score`` on each quiz module (each
  (learner, module)'s earliest attempt, so a yearly refresher's later attempts do not count), averaged over
  the learner's quizzes;
- ``first_attempt_pass_rate``: the share of the learner's quizzes whose first outcome (``passed`` or
  ``failed``) was a pass;
- ``pass_rate``: the catalog KPI (share of completers who passed an assessment of the program).

A quiz is any graded attempt (``attempted`` with a score and ``max_score > 0``) that is not a program
``pre``/``post`` assessment or a module-level check (``module_pre``/``module_post``). The frame has the
competency table's place in the report (``build_program_section(competency=...)``), with ``measure`` saying
which measure it is; :func:`learnroi.report.evidence.evidence_chain` reads it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.metrics import compute_all, connect
from learnroi.metrics.engine import collect, table
from learnroi.store import Store

QUIZ_MEASURE = "quiz (first attempt, no pre-test)"
NOT_QUIZ = ("pre", "post", "module_pre", "module_post")
"""Assessments that are not quizzes: the program's pre/post and the module-level knowledge checks."""
QUIZ_COLUMNS = [
    "group",
    "measure",
    "quiz_score_mean",
    "first_attempt_pass_rate",
    "pass_rate",
    "n",
    "suppressed",
]


def _first(t: ir.Table) -> ir.Table:
    """Each (learner, module)'s earliest row of ``t``."""
    w = ibis.window(group_by=["learner_key", "module_id"], order_by=[t.timestamp, t.event_id])
    return t.mutate(rn=ibis.row_number().over(w)).filter(lambda r: r.rn == 0)


def quiz_learning(store: Store, program_id: str, min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame | None:
    """The program's quiz results as one ``all learners`` row (:data:`QUIZ_COLUMNS`; ``n`` = learners with
    a first quiz attempt), None when it has no graded quiz attempt. Below ``min_cell`` learners the row
    is suppressed (values and n hidden)."""
    backend = connect(store.con)
    ev = table(backend, "lms_events")
    ev = ev.filter(
        (ev.program_id == program_id)
        & ev.learner_key.notnull()
        & ev.module_id.notnull()
        & ~ev.assessment.fill_null("").isin(NOT_QUIZ)
    )
    att = ev.filter((ev.event_type == "attempted") & ev.score.notnull() & (ev.max_score > 0))
    att = _first(att)
    att = att.mutate(share=att.score.cast("float64") / att.max_score.cast("float64"))
    scores = att.group_by("learner_key").aggregate(score=att.share.mean())
    out = _first(ev.filter(ev.event_type.isin(("passed", "failed"))))
    out = out.mutate(ok=ibis.ifelse(out.event_type == "passed", 1.0, 0.0))
    passes = out.group_by("learner_key").aggregate(first_pass=out.ok.mean())
    per = scores.left_join(passes, "learner_key").select(scores.score, passes.first_pass)
    got = collect(per.aggregate(n=per.count(), score=per.score.mean(), first_pass=per.first_pass.mean()))
    n = int(got["n"].iloc[0]) if len(got) else 0
    if n == 0:
        return None
    kpi = compute_all(backend, ["pass_rate"], program=program_id, by="program", min_cell=min_cell).table
    pass_rate = kpi["value"].iloc[0] if len(kpi) else None
    small = n < min_cell
    row = {
        "group": "all learners",
        "measure": QUIZ_MEASURE,
        "quiz_score_mean": None if small else float(got["score"].iloc[0]),
        "first_attempt_pass_rate": None if small else _float(got["first_pass"].iloc[0]),
        "pass_rate": None if small else _float(pass_rate),
        "n": None if small else n,
        "suppressed": small,
    }
    return pd.DataFrame([row], columns=QUIZ_COLUMNS)


def _float(x: object) -> float | None:
    v = pd.to_numeric(pd.Series([x]), errors="coerce").iloc[0]
    return None if pd.isna(v) else float(v)


__all__ = ["QUIZ_COLUMNS", "QUIZ_MEASURE", "quiz_learning"]
