"""KPI catalog benchmark (not a test): learnroi.metrics (Ibis over DuckDB) vs hand-written DuckDB SQL vs pandas,
computing the same numbers (the whole catalog at program grain) on the same synthetic store, side by side in
one run. Each measurement runs in its own process, so its peak RSS is its own; the runs alternate
(ibis, sql, pandas, ibis, sql, ...) and the median is reported. Every run's table is checked against the Ibis
one (floats to 1e-9 relative) before any time is reported.

    .venv/bin/python benchmarks/bench_metrics.py --events 10000000 --learners 100000 --repeat 3

Targets (issue "Measure, part 2"): Ibis within 1.25x of the hand-written SQL, >= 3x faster than pandas, peak
RSS <= 1 GB. pandas time excludes loading the tables into pandas (reported apart), which favours pandas.
Results go to benchmarks/README.md by hand, with the command.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

THREADS = 2
MEMORY_LIMIT = "700MB"

GEN = """
CREATE TABLE employees AS
SELECT 'E' || k AS employee_id, 'u' || k || '@x.example' AS email, 'P ' || k AS full_name,
       'D' || (k % 40) AS department, 'T' || (k % 900) AS team_id, 'sales_rep' AS role, 'Paris' AS location,
       NULL::VARCHAR AS manager_id, DATE '2020-01-01' + CAST(hash(k) % 1900 AS INTEGER) AS hire_date,
       NULL::DATE AS exit_date, 60000.0::DOUBLE AS loaded_salary, 2080.0::DOUBLE AS standard_hours
FROM range({L}) t(k);
CREATE TABLE assignments AS
SELECT 'p0' AS program_id, 'E' || k AS employee_id, CASE WHEN k % 8 < 4 THEN 'treatment' ELSE 'control' END AS arm,
       's' AS stratum, 'E' || k AS cluster_id, DATE '2024-12-01' AS assigned_date
FROM range({L}) t(k) WHERE k % 4 = 0;
CREATE TABLE waves AS
SELECT 'p1' AS program_id, 'department' AS unit_type, 'D' || d AS unit_id, CAST(d % 4 AS INTEGER) AS wave,
       DATE '2025-01-01' + CAST(30 * (d % 4) AS INTEGER) AS start_date
FROM range(40) t(d);
CREATE TABLE catalog AS
SELECT 'p' || p AS program_id, 'c' || c AS course_id, 'm' || m AS module_id, 'M' AS module_name,
       'digital' AS modality, m < 3 AS required, CAST(m AS INTEGER) AS sequence, 'pw' || c AS pathway_id,
       30.0::DOUBLE AS duration_minutes
FROM range(4) a(p), range(2) b(c), range(4) d(m);
CREATE TABLE lms_events AS
WITH r AS (SELECT i, i % {L} AS k, i // {L} AS j, CAST(hash(i) >> 1 AS BIGINT) AS h FROM range({N}) t(i))
SELECT 'ev' || i AS event_id, 'u' || k || '@x.example' AS learner_email, 'p' || (k % 4) AS program_id,
       CASE WHEN j = 0 OR (j = 1 AND k % 3 = 0) THEN NULL ELSE 'c' || (h // 7 % 2) END AS course_id,
       CASE WHEN j = 0 OR (j = 1 AND k % 3 = 0) THEN NULL ELSE 'm' || (h // 11 % 4) END AS module_id,
       CASE WHEN j = 0 THEN 'enrolled' WHEN j = 1 AND k % 3 = 0 THEN 'completed'
            ELSE ['launched','launched','launched','launched','completed','completed','attempted','attempted',
                  'passed','failed'][1 + h % 10] END AS event_type,
       TIMESTAMP '2025-01-01' + to_microseconds(CAST((k % 2592000) * 1000000 + j * 3637000000
            + (h % 1000000) AS BIGINT)) AS "timestamp",
       CASE WHEN h % 10 >= 6 AND j > 1 THEN CAST(h // 13 % 101 AS DOUBLE) END AS score,
       CASE WHEN h % 10 >= 6 AND j > 1 THEN 100.0::DOUBLE END AS max_score,
       CASE WHEN h % 10 >= 6 AND j > 1 THEN CASE WHEN j < 40 THEN 'pre' ELSE 'post' END END AS assessment,
       CASE WHEN h % 10 >= 6 AND j > 1 THEN CAST(1 + j % 3 AS INTEGER) END AS attempt,
       CASE WHEN j > 0 THEN CAST(h // 17 % 3600 AS DOUBLE) + 0.5 END AS duration_seconds,
       'u' || k || '@x.example' AS learner_key,
       CASE WHEN k % 100 = 7 THEN NULL ELSE 'E' || k END AS learner_id, 'lms' AS source
FROM r;
CREATE TABLE performance AS
SELECT 'E' || k AS employee_id, CAST(DATE '2024-01-01' + INTERVAL (m) MONTH AS DATE) AS period,
       'revenue' AS kpi, CAST(8000 + hash(k * 31 + m) % 5000 + 100 * m AS DOUBLE) AS value
FROM range({L}) t(k), range(18) s(m);
CREATE TABLE cost_ledger AS
SELECT 'p' || p AS program_id, 'L' || p AS line_id, DATE '2025-01-01' AS date, 'delivery' AS category,
       'x' AS description, CAST(10000 * (p + 1) AS DOUBLE) AS amount, 'USD' AS currency, 'digital' AS modality
FROM range(4) t(p);
CREATE TABLE survey_estimates (program_id VARCHAR, respondent_id VARCHAR, respondent_role VARCHAR,
    subject_id VARCHAR, kpi VARCHAR, improvement DOUBLE, share_attributed DOUBLE, confidence DOUBLE,
    response_date DATE);
"""

SQL = """
WITH m AS MATERIALIZED (
  SELECT e.*, c.pathway_id, CASE WHEN c.required THEN 1 ELSE 0 END AS req FROM (
    SELECT program_id, course_id, module_id, learner_key, max(learner_id) AS learner_id,
           min("timestamp") AS first_ts, min("timestamp") FILTER (WHERE event_type = 'passed') AS first_pass_ts,
           max(CASE WHEN event_type IN ('launched','completed','attempted','passed','failed') THEN 1 ELSE 0 END) AS act,
           count(*) FILTER (WHERE event_type = 'launched') AS launches,
           max(CASE WHEN event_type = 'completed' THEN 1 ELSE 0 END) AS done,
           max(CASE WHEN event_type = 'passed' THEN 1 ELSE 0 END) AS any_pass,
           sum(duration_seconds) AS secs
    FROM lms_events WHERE learner_key IS NOT NULL GROUP BY ALL) e
  LEFT JOIN catalog c USING (program_id, course_id, module_id)
), base AS (
  SELECT program_id, learner_key, max(learner_id) AS learner_id, min(first_ts) AS first_ts,
         min(first_pass_ts) AS first_pass_ts, max(act) AS launched,
         max(CASE WHEN done = 1 AND module_id IS NULL AND course_id IS NULL THEN 1 ELSE 0 END) AS unit_completed,
         max(any_pass) AS any_pass,
         count(*) FILTER (WHERE module_id IS NOT NULL AND course_id IS NOT NULL AND act = 1) AS n_activities,
         coalesce(sum(secs), 0) AS active_seconds,
         count(*) FILTER (WHERE module_id IS NOT NULL AND course_id IS NOT NULL AND launches > 0) AS launched_pairs,
         count(*) FILTER (WHERE module_id IS NOT NULL AND course_id IS NOT NULL AND launches >= 2) AS revisited_pairs,
         count(*) FILTER (WHERE module_id IS NOT NULL AND course_id IS NOT NULL AND done = 1
                          AND coalesce(req, 0) = 1) AS req_done
  FROM m GROUP BY ALL
), reqmods AS (
  SELECT DISTINCT program_id, pathway_id, course_id, module_id FROM catalog
  WHERE required AND course_id IS NOT NULL AND module_id IS NOT NULL
), nreq AS (SELECT program_id, count(*) AS n_req FROM (SELECT DISTINCT program_id, course_id, module_id FROM reqmods)
            GROUP BY ALL
), sc AS (
  SELECT program_id, learner_key, avg(share) FILTER (WHERE assessment = 'pre') AS pre,
         avg(share) FILTER (WHERE assessment = 'post') AS post
  FROM (SELECT program_id, learner_key, assessment, score / max_score AS share FROM lms_events
        WHERE learner_key IS NOT NULL AND event_type IN ('attempted','passed','failed')
          AND assessment IN ('pre','post') AND score IS NOT NULL AND max_score > 0
        QUALIFY row_number() OVER (PARTITION BY program_id, learner_key, course_id, module_id, assessment
                                   ORDER BY attempt, "timestamp", event_id) = 1)
  GROUP BY ALL
), pwreq AS (SELECT program_id, pathway_id, count(*) AS n_req FROM reqmods WHERE pathway_id IS NOT NULL GROUP BY ALL
), pwper AS (
  SELECT program_id, learner_key, pathway_id,
         count(*) FILTER (WHERE done = 1 AND coalesce(req, 0) = 1) AS done
  FROM m WHERE pathway_id IS NOT NULL AND act = 1 AND module_id IS NOT NULL AND course_id IS NOT NULL
  GROUP BY ALL
), pw AS (
  SELECT p.program_id, p.learner_key, count(*) AS pathways_started,
         sum(CASE WHEN coalesce(q.n_req, 0) > 0 AND p.done >= coalesce(q.n_req, 0) THEN 1 ELSE 0 END) AS pathways_completed
  FROM pwper p LEFT JOIN pwreq q USING (program_id, pathway_id) GROUP BY ALL
), perf AS (
  SELECT p.employee_id, p.period, p.value, e.hire_date,
         (year(p.period) * 12 + month(p.period)) - (year(e.hire_date) * 12 + month(e.hire_date)) AS tenure
  FROM performance p JOIN employees e USING (employee_id) WHERE p.kpi = 'revenue'
), ttp AS (
  SELECT employee_id, greatest(date_diff('day', min(hire_date), min(period)), 0)::DOUBLE AS ttp_days
  FROM perf WHERE tenure >= 0 AND value >= (SELECT avg(value) FROM perf WHERE tenure >= 12)
  GROUP BY ALL
), f AS (
  SELECT b.*, s.pre, s.post, pw.pathways_started, pw.pathways_completed, t.ttp_days,
         CASE WHEN b.launched = 1 AND (b.unit_completed = 1 OR (coalesce(n.n_req, 0) > 0
              AND b.req_done >= coalesce(n.n_req, 0))) THEN 1 ELSE 0 END AS completed,
         CASE WHEN b.first_pass_ts IS NOT NULL THEN epoch(date_trunc('second', b.first_pass_ts))
              - epoch(date_trunc('second', b.first_ts)) END AS ttc
  FROM base b LEFT JOIN nreq n USING (program_id)
  LEFT JOIN sc s USING (program_id, learner_key)
  LEFT JOIN pw USING (program_id, learner_key) LEFT JOIN ttp t ON t.employee_id = b.learner_id
), agg AS (
  SELECT program_id, count(*) AS n, sum(launched) AS launched, sum(completed) AS completed,
         sum(CASE WHEN completed = 1 AND any_pass = 1 THEN 1 ELSE 0 END) AS passed,
         sum(n_activities) AS acts, sum(active_seconds) AS secs,
         sum(coalesce(revisited_pairs, 0)) AS revisits, sum(coalesce(launched_pairs, 0)) AS pairs,
         count(*) FILTER (WHERE coalesce(launched_pairs, 0) > 0) AS n_pairs,
         avg(pre) AS pre, count(pre) AS n_pre, avg(post) AS post, count(post) AS n_post,
         avg(pre) FILTER (WHERE pre IS NOT NULL AND post IS NOT NULL) AS pre_b,
         avg(post) FILTER (WHERE pre IS NOT NULL AND post IS NOT NULL) AS post_b,
         count(*) FILTER (WHERE pre IS NOT NULL AND post IS NOT NULL) AS n_both,
         sum(ttc) AS ttc, count(ttc) AS n_ttc, avg(ttp_days) AS ttp, count(ttp_days) AS n_ttp,
         sum(pathways_completed) AS pwc, sum(pathways_started) AS pws,
         count(*) FILTER (WHERE coalesce(pathways_started, 0) > 0) AS n_pw
  FROM f GROUP BY ALL
), aud AS (
  SELECT DISTINCT program_id, employee_id FROM (
    SELECT program_id, employee_id FROM assignments WHERE arm = 'treatment'
    UNION ALL SELECT w.program_id, e.employee_id FROM waves w JOIN employees e ON w.unit_id = e.department
      WHERE w.wave > 0 AND w.unit_type = 'department'
    UNION ALL SELECT p.program_id, e.employee_id FROM (SELECT DISTINCT program_id FROM lms_events) p, employees e
      WHERE p.program_id NOT IN (SELECT program_id FROM assignments UNION SELECT program_id FROM waves))
), act AS (
  SELECT DISTINCT program_id, learner_id AS employee_id FROM lms_events
  WHERE event_type IN ('launched','completed','attempted','passed','failed') AND learner_id IS NOT NULL
), adoption AS (
  SELECT a.program_id, count(x.employee_id)::DOUBLE / count(*) AS v, count(*) AS n
  FROM aud a JOIN employees e USING (employee_id) LEFT JOIN act x USING (program_id, employee_id) GROUP BY ALL
), cost AS (SELECT program_id, sum(amount) AS total FROM cost_ledger GROUP BY ALL
), w AS (
  SELECT a.*, d.v AS adoption, d.n AS n_aud, c.total FROM agg a
  LEFT JOIN adoption d USING (program_id) LEFT JOIN cost c USING (program_id)
)
{unions}
ORDER BY program_id, kpi
"""

KPIS = [
    ("reach", "n::DOUBLE", "n"),
    ("adoption_rate", "adoption", "n_aud"),
    ("launch_rate", "launched / n", "n"),
    ("completion_rate", "completed / n", "n"),
    ("pass_rate", "passed / nullif(completed, 0)", "completed"),
    ("pathway_completion_rate", "pwc / nullif(pws, 0)", "n_pw"),
    ("distinct_activities_per_learner", "acts / n", "n"),
    ("active_minutes_per_learner", "secs / 60 / n", "n"),
    ("revisit_rate", "revisits / nullif(pairs, 0)", "n_pairs"),
    ("pre_score_mean", "pre", "n_pre"),
    ("post_score_mean", "post", "n_post"),
    ("competency_gain", "post_b - pre_b", "n_both"),
    ("normalized_gain", "(post_b - pre_b) / nullif(1 - pre_b, 0)", "n_both"),
    ("time_to_competency_days", "ttc / nullif(n_ttc, 0) / 86400", "n_ttc"),
    ("time_to_proficiency_days", "ttp", "n_ttp"),
    ("cost_per_learner", "total / nullif(n, 0)", "n"),
    ("cost_per_completion", "total / nullif(completed, 0)", "completed"),
]
HAND_SQL = SQL.format(
    unions="\nUNION ALL\n".join(
        f"SELECT program_id, '{k}' AS kpi, CAST({v} AS DOUBLE) AS value, CAST({n} AS BIGINT) AS n FROM w"
        for k, v, n in KPIS
    )
)
ACT = ["launched", "completed", "attempted", "passed", "failed"]


def run_ibis(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from learnroi.metrics import compute_all, connect  # imported before the clock starts (see _child)

    t = compute_all(connect(con), by="program", min_cell=1).table
    return t[["program_id", "kpi", "value", "n"]]


def run_sql(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # The module-level facts as a temp table, as the Ibis code caches them: DuckDB 1.4 runs a MATERIALIZED
    # CTE 2.5x slower than this at 10M events (30.4 s vs 11.8 s, measured).
    head, rest = HAND_SQL.split("), base AS (", 1)
    con.execute("CREATE TEMP TABLE m AS " + head.replace("WITH m AS MATERIALIZED (", "", 1))
    return con.execute("WITH base AS (" + rest).arrow().read_all().to_pandas()


def load_pandas(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    names = ["employees", "assignments", "waves", "catalog", "lms_events", "performance", "cost_ledger"]
    return {n: con.execute(f"SELECT * FROM {n}").arrow().read_all().to_pandas() for n in names}


def run_pandas(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The same plan as the Ibis code: one groupby to (program, course, module, learner), then small frames."""
    k2 = ["program_id", "learner_key"]
    ev = t["lms_events"]
    ev = ev[ev["learner_key"].notna()]
    typ = ev["event_type"]
    ev = ev.assign(
        act=typ.isin(ACT).astype("int8"), launch=(typ == "launched").astype("int64"),
        done=(typ == "completed").astype("int8"), is_pass=(typ == "passed").astype("int8"),
        pass_ts=ev["timestamp"].where(typ == "passed"),
    )  # fmt: skip
    mkeys = ["program_id", "course_id", "module_id", "learner_key"]
    m = ev.groupby(mkeys, dropna=False, sort=False).agg(
        learner_id=("learner_id", "first"), first_ts=("timestamp", "min"), first_pass_ts=("pass_ts", "min"),
        act=("act", "max"), launches=("launch", "sum"), done=("done", "max"), any_pass=("is_pass", "max"),
        secs=("duration_seconds", "sum"),
    ).reset_index()  # fmt: skip
    cat = t["catalog"]
    m = m.merge(cat[["program_id", "course_id", "module_id", "pathway_id", "required"]], how="left",
                on=["program_id", "course_id", "module_id"])  # fmt: skip
    is_mod = m["module_id"].notna() & m["course_id"].notna()
    req = m["required"].fillna(False).astype(bool)
    m = m.assign(
        unit_done=(m["done"] == 1) & m["module_id"].isna() & m["course_id"].isna(),
        a_mod=is_mod & (m["act"] == 1), l_mod=is_mod & (m["launches"] > 0), r_mod=is_mod & (m["launches"] >= 2),
        d_req=is_mod & (m["done"] == 1) & req,
    )  # fmt: skip
    base = m.groupby(k2, sort=False).agg(
        learner_id=("learner_id", "first"), first_ts=("first_ts", "min"), first_pass_ts=("first_pass_ts", "min"),
        launched=("act", "max"), unit_completed=("unit_done", "max"), any_pass=("any_pass", "max"),
        n_activities=("a_mod", "sum"), active_seconds=("secs", "sum"), launched_pairs=("l_mod", "sum"),
        revisited_pairs=("r_mod", "sum"), req_done=("d_req", "sum"),
    ).reset_index()  # fmt: skip
    creq = cat[cat["required"] & cat["course_id"].notna() & cat["module_id"].notna()]
    n_req = (
        creq.drop_duplicates(["program_id", "course_id", "module_id"])
        .groupby("program_id")
        .size()
        .rename("n_req")
    )
    a = ev[typ.isin(["attempted", "passed", "failed"]) & ev["assessment"].isin(["pre", "post"])
           & ev["score"].notna() & (ev["max_score"] > 0)]  # fmt: skip
    gk = [*k2, "course_id", "module_id", "assessment"]
    a = a.sort_values([*gk, "attempt", "timestamp", "event_id"]).drop_duplicates(gk)
    a = a.assign(share=a["score"] / a["max_score"])
    sc = a.pivot_table(index=k2, columns="assessment", values="share", aggfunc="mean")
    pwreq = creq[creq["pathway_id"].notna()].drop_duplicates(
        ["program_id", "pathway_id", "course_id", "module_id"]
    )
    pwreq = pwreq.groupby(["program_id", "pathway_id"]).size().rename("n_req").reset_index()
    pa_ = m[m["pathway_id"].notna() & (m["act"] == 1) & is_mod]
    pwper = pa_.groupby([*k2, "pathway_id"]).agg(done=("d_req", "sum")).reset_index()
    pwper = pwper.merge(pwreq, on=["program_id", "pathway_id"], how="left")
    nr = pwper["n_req"].fillna(0)
    pwper["complete"] = ((nr > 0) & (pwper["done"] >= nr)).astype("int64")
    pw = pwper.groupby(k2).agg(pathways_started=("done", "size"), pathways_completed=("complete", "sum"))
    emp = t["employees"]
    perf = t["performance"]
    perf = perf[perf["kpi"] == "revenue"].merge(emp[["employee_id", "hire_date"]], on="employee_id")
    p_dt, h_dt = pd.to_datetime(perf["period"]), pd.to_datetime(perf["hire_date"])
    perf = perf.assign(
        p=p_dt, h=h_dt, tenure=(p_dt.dt.year * 12 + p_dt.dt.month) - (h_dt.dt.year * 12 + h_dt.dt.month)
    )
    perf = perf[perf["tenure"] >= 0]
    thr = perf.loc[perf["tenure"] >= 12, "value"].mean()
    first = perf[perf["value"] >= thr].groupby("employee_id").agg(p=("p", "min"), h=("h", "min"))
    ttp = ((first["p"] - first["h"]).dt.days.clip(lower=0)).astype("float64").rename("ttp_days")
    f = base.merge(n_req.reset_index(), on="program_id", how="left").merge(
        sc.reset_index(), on=k2, how="left"
    )
    f = f.merge(pw.reset_index(), on=k2, how="left")
    f = f.merge(ttp.reset_index(), left_on="learner_id", right_on="employee_id", how="left")
    nq, rd = f["n_req"].fillna(0), f["req_done"].fillna(0)
    f["completed"] = ((f["launched"] == 1) & ((f["unit_completed"] == 1) | ((nq > 0) & (rd >= nq)))).astype(
        "int64"
    )
    f["passed"] = ((f["completed"] == 1) & (f["any_pass"] == 1)).astype("int64")
    secs = lambda s: s.dt.floor("s").astype("datetime64[s]").astype("int64")  # noqa: E731
    f["ttc"] = (secs(f["first_pass_ts"]) - secs(f["first_ts"])).where(f["first_pass_ts"].notna())
    both = f["pre"].notna() & f["post"].notna()
    f["pre_b"], f["post_b"] = f["pre"].where(both), f["post"].where(both)
    f["both"] = both
    f["has_pairs"] = f["launched_pairs"].fillna(0) > 0
    f["has_pw"] = f["pathways_started"].fillna(0) > 0
    g = f.groupby("program_id")
    w = g.agg(
        n=("learner_key", "size"), launched=("launched", "sum"), completed=("completed", "sum"),
        passed=("passed", "sum"), acts=("n_activities", "sum"), secs=("active_seconds", "sum"),
        revisits=("revisited_pairs", "sum"), pairs=("launched_pairs", "sum"), n_pairs=("has_pairs", "sum"),
        pre=("pre", "mean"), n_pre=("pre", "count"), post=("post", "mean"), n_post=("post", "count"),
        pre_b=("pre_b", "mean"), post_b=("post_b", "mean"), n_both=("both", "sum"), ttc=("ttc", "sum"),
        n_ttc=("ttc", "count"), ttp=("ttp_days", "mean"), n_ttp=("ttp_days", "count"),
        pwc=("pathways_completed", "sum"), pws=("pathways_started", "sum"), n_pw=("has_pw", "sum"),
    )  # fmt: skip
    # adoption: the treatment arm, the waved departments, or everyone
    asg, wav = t["assignments"], t["waves"]
    wv = wav[(wav["wave"] > 0) & (wav["unit_type"] == "department")]
    parts = [asg.loc[asg["arm"] == "treatment", ["program_id", "employee_id"]],
             wv.merge(emp, left_on="unit_id", right_on="department")[["program_id", "employee_id"]]]  # fmt: skip
    designed = set(asg["program_id"]) | set(wav["program_id"])
    for prog in set(t["lms_events"]["program_id"]) - designed:
        parts.append(pd.DataFrame({"program_id": prog, "employee_id": emp["employee_id"]}))
    aud = pd.concat(parts).drop_duplicates().merge(emp[["employee_id"]], on="employee_id")
    le = t["lms_events"]
    actv = le[le["event_type"].isin(ACT) & le["learner_id"].notna()][
        ["program_id", "learner_id"]
    ].drop_duplicates()
    aud = aud.merge(
        actv.rename(columns={"learner_id": "employee_id"}).assign(a=1),
        how="left",
        on=["program_id", "employee_id"],
    )
    ad = aud.groupby("program_id").agg(
        adoption=("a", lambda s: s.notna().sum() / len(s)), n_aud=("a", "size")
    )
    cost = t["cost_ledger"].groupby("program_id")["amount"].sum().rename("total")
    w = w.join(ad).join(cost)
    nz = lambda s: s.where(s != 0)  # noqa: E731
    vals = {
        "reach": (w["n"].astype(float), w["n"]), "adoption_rate": (w["adoption"], w["n_aud"]),
        "launch_rate": (w["launched"] / w["n"], w["n"]), "completion_rate": (w["completed"] / w["n"], w["n"]),
        "pass_rate": (w["passed"] / nz(w["completed"]), w["completed"]),
        "pathway_completion_rate": (w["pwc"] / nz(w["pws"]), w["n_pw"]),
        "distinct_activities_per_learner": (w["acts"] / w["n"], w["n"]),
        "active_minutes_per_learner": (w["secs"] / 60 / w["n"], w["n"]),
        "revisit_rate": (w["revisits"] / nz(w["pairs"]), w["n_pairs"]),
        "pre_score_mean": (w["pre"], w["n_pre"]), "post_score_mean": (w["post"], w["n_post"]),
        "competency_gain": (w["post_b"] - w["pre_b"], w["n_both"]),
        "normalized_gain": ((w["post_b"] - w["pre_b"]) / nz(1 - w["pre_b"]), w["n_both"]),
        "time_to_competency_days": (w["ttc"] / nz(w["n_ttc"]) / 86400, w["n_ttc"]),
        "time_to_proficiency_days": (w["ttp"], w["n_ttp"]),
        "cost_per_learner": (w["total"] / nz(w["n"]), w["n"]),
        "cost_per_completion": (w["total"] / nz(w["completed"]), w["completed"]),
    }  # fmt: skip
    out = [pd.DataFrame({"program_id": w.index, "kpi": k, "value": v.to_numpy(dtype=float), "n": n.to_numpy()})
           for k, (v, n) in vals.items()]  # fmt: skip
    return pd.concat(out, ignore_index=True)


def _child(mode: str, db: str, out: str) -> None:
    con = duckdb.connect(db, read_only=True)
    con.execute(f"SET threads = {THREADS}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    load = 0.0
    if mode == "ibis":
        import learnroi.metrics  # noqa: F401 - import time (Ibis, pandas) is not part of the measurement
    if mode == "pandas":
        t0 = time.perf_counter()
        tables = load_pandas(con)
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = run_pandas(tables)
    else:
        t0 = time.perf_counter()
        res = run_ibis(con) if mode == "ibis" else run_sql(con)
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res.to_parquet(out)
    print(json.dumps({"mode": mode, "seconds": secs, "load_seconds": load, "peak_rss_mb": rss}))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["program_id", "kpi"]
    a = a.astype({"program_id": str, "kpi": str}).sort_values(key).reset_index(drop=True)
    b = b.astype({"program_id": str, "kpi": str}).sort_values(key).reset_index(drop=True)
    assert a[key].equals(b[key]), "different cells"
    assert (a["n"].astype("int64").to_numpy() == b["n"].astype("int64").to_numpy()).all(), "different n"
    np.testing.assert_allclose(
        a["value"].to_numpy(float), b["value"].to_numpy(float), rtol=1e-9, equal_nan=True
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--learners", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="ibis,sql,pandas")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        with duckdb.connect(db) as con:
            con.execute(GEN.format(N=args.events, L=args.learners))
        print(
            f"generated {args.events:,} events / {args.learners:,} learners in {time.perf_counter() - t0:.1f} s"
        )
        runs: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for r in range(args.repeat):
            for m in modes:
                out = str(Path(tmp) / f"{m}-{r}.parquet")
                cmd = [sys.executable, __file__, "--child", m, db, out]
                res = subprocess.run(cmd, check=False, capture_output=True, text=True)
                if res.returncode:
                    sys.exit(f"{m} failed:\n{res.stderr}")
                runs[m].append(json.loads(res.stdout.strip().splitlines()[-1]))
                if m != modes[0]:
                    _same(pd.read_parquet(str(Path(tmp) / f"{modes[0]}-{r}.parquet")), pd.read_parquet(out))
        med = {m: statistics.median(x["seconds"] for x in v) for m, v in runs.items()}
        print(f"{'mode':8} {'median s':>9} {'runs':>24} {'peak RSS MB':>12}")
        for m, v in runs.items():
            secs = ", ".join(f"{x['seconds']:.2f}" for x in v)
            extra = (
                f" (+ load {statistics.median(x['load_seconds'] for x in v):.1f} s)" if m == "pandas" else ""
            )
            print(f"{m:8} {med[m]:9.2f} {secs:>24} {max(x['peak_rss_mb'] for x in v):12.0f}{extra}")
        if "ibis" in med and "sql" in med:
            print(f"ibis / hand-written SQL = {med['ibis'] / med['sql']:.2f}x (target <= 1.25x)")
        if "ibis" in med and "pandas" in med:
            print(f"pandas / ibis = {med['pandas'] / med['ibis']:.1f}x (target >= 3x)")
        print("all tables equal to the first mode's (floats 1e-9 relative)")


if __name__ == "__main__":
    main()
