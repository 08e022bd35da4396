"""The LMS catalog: programs -> courses -> modules, with modality, required flag, sequence and pathway."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

# (course_id, module_id, module_name, modality, required, kind, minutes); kind: content | pre | post | quiz |
# social (community posts and coaching: activities without a knowledge check)
Row = tuple[str, str, str, str, bool, str, int]

PROGRAMS: dict[str, tuple[str, list[Row]]] = {
    "sales-skills": (
        "Consultative selling",
        [
            ("ss-foundations", "ss-pre", "Selling skills pre-assessment", "digital", True, "pre", 20),
            ("ss-foundations", "ss-discovery", "Discovery conversations", "digital", True, "content", 45),
            ("ss-foundations", "ss-questioning", "Questioning techniques", "virtual", True, "content", 90),
            ("ss-practice", "ss-roleplay", "Role-play workshop", "classroom", True, "content", 240),
            ("ss-practice", "ss-negotiation", "Negotiation lab", "classroom", True, "content", 180),
            ("ss-practice", "ss-peer", "Peer coaching circle", "social", False, "content", 60),
            ("ss-closing", "ss-closing", "Closing and next steps", "virtual", True, "content", 90),
            ("ss-closing", "ss-pipeline", "Pipeline hygiene", "digital", True, "content", 30),
            ("ss-closing", "ss-post", "Selling skills post-assessment", "digital", True, "post", 25),
        ],
    ),
    "onboarding": (
        "New-hire onboarding",
        [
            ("ob-welcome", "ob-pre", "Role readiness check (entry)", "digital", True, "pre", 15),
            ("ob-welcome", "ob-company", "How we work", "digital", True, "content", 40),
            ("ob-welcome", "ob-tools", "Systems and tools", "virtual", True, "content", 120),
            ("ob-role", "ob-shadow", "Shadowing a colleague", "on_the_job", True, "content", 240),
            ("ob-role", "ob-basics", "Role essentials workshop", "classroom", True, "content", 180),
            ("ob-role", "ob-buddy", "Buddy check-ins", "social", False, "content", 45),
            ("ob-role", "ob-post", "Role readiness check (exit)", "digital", True, "post", 20),
        ],
    ),
    "compliance": (
        "Annual compliance",
        [
            ("cp-conduct", "cp-conduct-1", "Our code of conduct", "digital", True, "content", 12),
            ("cp-conduct", "cp-conduct-2", "Conflicts of interest", "digital", True, "content", 10),
            ("cp-conduct", "cp-conduct-q", "Code of conduct quiz", "digital", True, "quiz", 10),
            ("cp-privacy", "cp-privacy-1", "Personal data basics", "digital", True, "content", 12),
            ("cp-privacy", "cp-privacy-2", "Data subject rights", "digital", True, "content", 10),
            ("cp-privacy", "cp-privacy-q", "Data privacy quiz", "digital", True, "quiz", 10),
        ],
    ),
    "product-academy": (
        "Product academy (self-paced)",
        [
            ("pa-library", f"pa-{i:02d}", name, modality, False, "content", minutes)
            for i, (name, modality, minutes) in enumerate(
                [
                    ("Platform overview", "digital", 15),
                    ("Pricing and packaging", "digital", 12),
                    ("Integrations", "digital", 20),
                    ("Security features", "digital", 15),
                    ("Analytics module", "digital", 18),
                    ("Customer stories", "social", 25),
                    ("Roadmap briefing", "virtual", 45),
                    ("Competitive landscape", "digital", 20),
                    ("Implementation basics", "digital", 25),
                    ("Admin console", "digital", 15),
                    ("Mobile app", "digital", 10),
                    ("Community forum tour", "social", 20),
                ],
                start=1,
            )
        ],
    ),
    "service-blend": (
        "Customer conversations (blended)",
        [
            ("sb-core", "sb-pre", "Customer conversations pre-assessment", "digital", True, "pre", 20),
            ("sb-core", "sb-listening", "Active listening", "digital", True, "content", 30),
            ("sb-core", "sb-policy", "Escalation policy walkthrough", "digital", True, "content", 40),
            ("sb-core", "sb-deescalation", "De-escalation basics", "digital", True, "content", 35),
            (
                "sb-digital",
                "sb-d-scenarios",
                "Difficult calls: interactive scenarios",
                "digital",
                True,
                "content",
                45,
            ),
            ("sb-digital", "sb-d-micro", "Tone and empathy micro-lessons", "digital", True, "content", 25),
            ("sb-blended", "sb-b-scenarios", "Interactive call scenarios", "digital", True, "content", 45),
            ("sb-blended", "sb-b-live", "Live practice (virtual classroom)", "virtual", True, "content", 90),
            ("sb-blended", "sb-b-community", "Agents' community of practice", "social", False, "social", 10),
            ("sb-blended", "sb-b-coaching", "Coaching with a team lead", "social", True, "social", 45),
            (
                "sb-classroom",
                "sb-c-day1",
                "Customer conversations workshop",
                "classroom",
                True,
                "content",
                420,
            ),
            ("sb-classroom", "sb-c-day2", "Escalation role-play workshop", "classroom", True, "content", 420),
            ("sb-classroom", "sb-c-clinic", "Follow-up clinic (virtual)", "virtual", True, "content", 60),
            ("sb-core", "sb-post", "Customer conversations post-assessment", "digital", True, "post", 20),
        ],
    ),
}
COURSE_NAMES = {
    "ss-foundations": "Selling foundations",
    "ss-practice": "Selling practice",
    "ss-closing": "Closing the deal",
    "ob-welcome": "Welcome",
    "ob-role": "Your role",
    "cp-conduct": "Code of conduct",
    "cp-privacy": "Data privacy",
    "pa-library": "Product library",
    "sb-core": "Customer conversations: core",
    "sb-digital": "Self-paced practice",
    "sb-blended": "Blended practice",
    "sb-classroom": "Classroom practice",
}
PATHWAYS = {
    "sb-core": "sb-core",
    "sb-digital": "digital",
    "sb-blended": "blended",
    "sb-classroom": "classroom",
}
"""Course -> pathway_id where it is not ``<program>-core`` (the blended program's arms have their own)."""
KIND_CODE = {"content": 0, "pre": 1, "post": 2, "quiz": 3, "social": 4}
ASSESSMENT_KINDS = (1, 2, 3)
PASS_MARK = {
    "sales-skills": 70.0,
    "onboarding": 70.0,
    "compliance": 80.0,
    "product-academy": 70.0,
    "service-blend": 70.0,
}


@dataclass(frozen=True)
class Modules:
    """One program's modules in pathway order, as arrays."""

    program: str
    course: NDArray[np.str_]
    module: NDArray[np.str_]
    name: NDArray[np.str_]
    modality: NDArray[np.str_]
    kind: NDArray[np.int64]
    minutes: NDArray[np.float64]
    course_index: NDArray[np.int64]
    """Per module: index of its course (0, 1, ...) in pathway order."""

    @property
    def m(self) -> int:
        return int(self.module.size)

    @property
    def courses(self) -> NDArray[np.str_]:
        _, first = np.unique(self.course_index, return_index=True)
        return self.course[np.sort(first)]

    def course_last_module(self) -> NDArray[np.int64]:
        """Per course: index of its last module."""
        out: NDArray[np.int64] = np.r_[np.flatnonzero(np.diff(self.course_index)), self.m - 1].astype(
            np.int64
        )
        return out

    def course_first_module(self) -> NDArray[np.int64]:
        out: NDArray[np.int64] = np.r_[0, np.flatnonzero(np.diff(self.course_index)) + 1].astype(np.int64)
        return out


def modules(program: str) -> Modules:
    rows = PROGRAMS[program][1]
    course = np.array([r[0] for r in rows])
    order_of_first = {c: i for i, c in enumerate(dict.fromkeys(r[0] for r in rows))}
    return Modules(
        program=program,
        course=course,
        module=np.array([r[1] for r in rows]),
        name=np.array([r[2] for r in rows]),
        modality=np.array([r[3] for r in rows]),
        kind=np.array([KIND_CODE[r[5]] for r in rows], dtype=np.int64),
        minutes=np.array([r[6] for r in rows], dtype=np.float64),
        course_index=np.array([order_of_first[c] for c in course], dtype=np.int64),
    )


def catalog_table() -> pa.Table:
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "program_id",
            "course_id",
            "module_id",
            "module_name",
            "modality",
            "required",
            "sequence",
            "pathway_id",
            "duration_minutes",
        )
    }
    for program, (_, rows) in PROGRAMS.items():
        for seq, (course, module, name, modality, required, _kind, minutes) in enumerate(rows, start=1):
            for k, v in zip(
                cols,
                (
                    program,
                    course,
                    module,
                    name,
                    modality,
                    required,
                    seq,
                    PATHWAYS.get(course, f"{program}-core"),
                    float(minutes),
                ),
                strict=True,
            ):
                cols[k].append(v)
    return pa.table(cols)
