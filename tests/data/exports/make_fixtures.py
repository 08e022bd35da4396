"""Writes the small real-export quirk fixtures of this folder (run once; the files are committed).

Each file reproduces one quirk documented in /work/shared/reference/real-exports.md; README.md names
the source of each. Run: ``.venv/bin/python tests/data/exports/make_fixtures.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "event_id,learner_email,program_id,course_id,module_id,event_type,timestamp,score,max_score,assessment,attempt,duration_seconds"
EVENTS = [
    "EV1,Ana.Lopez@acme.example ,sales-skills,ss-foundations,,enrolled,2025-01-02T07:01:50+00:00,,,,,",
    "EV2,ana.lopez@acme.example,sales-skills,ss-foundations,ss-pre,attempted,2025-01-02T08:01:50+01:00,65.6,100,pre,1,1569",
    "EV3,bo.chen@acme.example,sales-skills,ss-foundations,ss-m1,launched,2025-01-03T09:00:00Z,,,,,600",
]


def main() -> None:
    # Moodle progress report "Excel": UTF-16LE with BOM, tab separated (real-exports §1).
    tab = "\n".join([HEADER.replace(",", "\t"), *(e.replace(",", "\t") for e in EVENTS)]) + "\n"
    (HERE / "moodle_utf16le_tab.tsv").write_bytes(b"\xff\xfe" + tab.encode("utf-16-le"))
    # Canvas gradebook options: UTF-8 BOM, semicolons, decimal commas (real-exports §3).
    semi = [HEADER.replace(",", ";"), *(e.replace(",", ";") for e in EVENTS)]
    semi[2] = semi[2].replace("65.6", "65,6")
    (HERE / "canvas_bom_semicolon_decimal_comma.csv").write_bytes(
        b"\xef\xbb\xbf" + ("\n".join(semi) + "\n").encode()
    )
    # Latin-1 HRIS with accented names (the simulator's --messy plants the same).
    hris = (
        "employee_id,email,full_name,department,team_id,role,location,manager_id,hire_date,exit_date,loaded_salary,standard_hours\n"
        "E1,ana.lopez@acme.example,Ana López,Sales-01,T1,sales_rep,Montréal,,2020-01-15,,90000,2080\n"
        "E2,bo.chen@acme.example,Bo Chén,Sales-01,T1,sales_rep,Zürich,E1,2021-03-01,,85000,\n"
    )
    (HERE / "hris_latin1.csv").write_bytes(hris.encode("latin-1"))
    # Moodle logstore_standard_log: epoch seconds, relateduserid for completions, backslashed eventname.
    (HERE / "moodle_logstore.csv").write_text(
        "id,eventname,component,action,target,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,"
        "userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
        "101,\\core\\event\\user_loggedin,core,loggedin,user,,r,0,1,10,0,7,0,,0,,1735804800,web,10.0.0.1,\n"
        "102,\\mod_page\\event\\course_module_viewed,mod_page,viewed,course_module,3,r,2,55,70,12,7,4,,0,,1735804900,web,10.0.0.1,\n"
        "103,\\core\\event\\course_module_completion_updated,core,updated,course_module_completion,9,u,0,55,70,12,2,4,7,0,,1735805000,web,10.0.0.1,\n"
        "104,\\mod_quiz\\event\\attempt_submitted,mod_quiz,submitted,attempt,5,u,2,56,70,13,7,4,7,0,,0,web,10.0.0.1,\n",
        encoding="utf-8",
    )
    # Moodle quiz results: "%d %B %Y, %I:%M %p" dates, "12 mins 5 secs", "-" for empty.
    (HERE / "moodle_quiz_results.csv").write_text(
        "Last name,First name,Email address,State,Started on,Completed,Time taken,Grade/10.00\n"
        'Lopez,Ana,ana.lopez@acme.example,Finished,"2 January 2025, 9:00 AM","2 January 2025, 9:12 AM",12 mins 5 secs,7.50\n'
        'Chen,Bo,bo.chen@acme.example,In progress,"3 January 2025, 10:00 AM",-,-,-\n',
        encoding="utf-8",
    )
    # Workday RaaS: tenant aliases and MM/DD/YYYY dates.
    (HERE / "workday_raas_us_dates.csv").write_text(
        "Emp_ID,Worker,Email_-_Primary_Work,Supervisory_Organization,Business_Title,Location,Mgr_ID,Hire_Date,Termination_Date\n"
        "E1,Ana Lopez,ana.lopez@acme.example,Sales-01,Account Executive,Boston,,01/15/2020,\n"
        "E2,Bo Chen,bo.chen@acme.example,Sales-01,Account Executive,Boston,E1,03/01/2021,12/31/2025\n",
        encoding="utf-8",
    )
    # BambooHR: 0000-00-00 for unset dates.
    (HERE / "bamboohr_zero_dates.csv").write_text(
        "id,employeeNumber,displayName,workEmail,department,jobTitle,location,supervisorEId,hireDate,terminationDate\n"
        "40,E1,Ana Lopez,ana.lopez@acme.example,Sales-01,AE,Boston,,2020-01-15,0000-00-00\n"
        "41,E2,Bo Chen,bo.chen@acme.example,Sales-01,AE,Boston,E1,2021-03-01,0000-00-00\n",
        encoding="utf-8",
    )
    # Cornerstone transcript: attempts as registrations; minutes; rows without completion.
    (HERE / "cornerstone_transcript.csv").write_text(
        "transc_user_id,user_ref,transc_object_id,reg_num,user_lo_status_id,user_lo_score,user_lo_reg_dt,"
        "user_lo_start_dt,user_lo_comp_dt,user_lo_minutes_participated,user_lo_pass,is_removed,is_archive\n"
        "9001,E1,6f1c2a7e-0b8e-4a8e-9d5c-000000000001,1,3,88,2025-01-02T08:00:00Z,2025-01-02T08:05:00Z,2025-01-02T09:00:00Z,55,1,0,0\n"
        "9002,E2,6f1c2a7e-0b8e-4a8e-9d5c-000000000001,1,1,,2025-01-02T08:00:00Z,,,0,0,0,0\n",
        encoding="utf-8",
    )
    # Moodle logstore_xapi: account actor, Z timestamps with milliseconds, PT<seconds>S durations.
    st = [
        {
            "id": "0a000000-0000-5000-8000-000000000001",
            "actor": {
                "objectType": "Agent",
                "name": "Ana",
                "account": {"homePage": "https://moodle.acme.example", "name": "E1"},
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://moodle.acme.example/mod/quiz/view.php?id=13", "objectType": "Activity"},
            "result": {
                "score": {"raw": 7.5, "min": 0, "max": 10, "scaled": 0.75},
                "success": True,
                "completion": True,
                "duration": "PT725S",
            },
            "context": {
                "platform": "Moodle",
                "registration": "0b000000-0000-5000-8000-000000000001",
                "contextActivities": {"parent": [{"id": "https://moodle.acme.example/course/view.php?id=4"}]},
            },
            "timestamp": "2025-01-02T09:12:05.123Z",
        },
        {
            "id": "0a000000-0000-5000-8000-000000000002",
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": "https://moodle.acme.example", "name": "E2"},
            },
            "verb": {"id": "http://id.tincanapi.com/verb/viewed"},
            "object": {"id": "https://moodle.acme.example/mod/page/view.php?id=12"},
            "timestamp": "2025-01-03T10:00:00.000Z",
        },
    ]
    (HERE / "xapi_moodle_account.jsonl").write_text(
        "\n".join(json.dumps(s) for s in st) + "\n", encoding="utf-8"
    )
    # cmi5 / xAPI 2.0 array: mbox_sha1sum actor, identified group, a voided statement, an offset timestamp.
    import hashlib

    sha = hashlib.sha1(b"mailto:bo.chen@acme.example").hexdigest()
    arr = [
        {
            "id": "1a000000-0000-5000-8000-000000000001",
            "actor": {"mbox_sha1sum": sha},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
            "object": {"id": "https://lms.example.com/xapi/activities/sales-skills/ss-foundations/ss-post"},
            "result": {"score": {"scaled": 0.9}, "success": True, "duration": "PT1M30S"},
            "timestamp": "2025-01-05T10:00:00+02:00",
            "version": "2.0.0",
        },
        {
            "id": "1a000000-0000-5000-8000-000000000002",
            "actor": {"objectType": "Group", "mbox": "mailto:Team.Sales@acme.example", "member": []},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.com/xapi/activities/sales-skills/ss-foundations"},
            "timestamp": "2025-01-06T10:00:00Z",
        },
        {
            "id": "1a000000-0000-5000-8000-000000000003",
            "actor": {"mbox": "mailto:ana.lopez@acme.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": "1a000000-0000-5000-8000-000000000001"},
            "timestamp": "2025-01-07T10:00:00Z",
        },
    ]
    (HERE / "xapi_cmi5_array.json").write_text(json.dumps(arr, indent=1), encoding="utf-8")
    # SuccessFactors OData: /Date(ms)/ timestamps (real-exports §6), as JSON records.
    recs = [
        {"employee_id": "E1", "period": "/Date(1735689600000)/", "kpi": "revenue", "value": "1200.5"},
        {"employee_id": "E2", "period": "/Date(1738368000000)/", "kpi": "revenue", "value": "N/A"},
    ]
    (HERE / "successfactors_dotnet_dates.json").write_text(json.dumps(recs), encoding="utf-8")
    # XLSX with two sheets (one row per data row per sheet).
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(HERE / "kpis_two_sheets.xlsx"))
    for name, rows in (
        ("Jan", [("E1", "2025-01-01", "revenue", 100.0)]),
        ("Feb", [("E1", "2025-02-01", "revenue", 110.0), ("E2", "2025-02-01", "revenue", "oops")]),
    ):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["employee_id", "period", "kpi", "value"])
        for i, r in enumerate(rows, start=1):
            ws.write_row(i, 0, list(r))
    wb.close()


if __name__ == "__main__":
    main()
