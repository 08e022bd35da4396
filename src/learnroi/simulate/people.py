"""The workforce: departments, teams under managers, roles, hires over time and attrition (the HRIS).

Everything is drawn with vectorized numpy from one generator. ``motivation`` is the unobserved trait that
drives both voluntary take-up and baseline performance (it is never written to any file).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import DAY0, LAST_DAY, day

KINDS = ("sales", "operations", "support", "other")
_KIND_PREFIX = {"sales": "Sales", "operations": "Ops", "support": "Support", "other": "Corp"}
_KIND_SHARE = np.array([0.42, 0.30, 0.18, 0.10])
_ROLES = {
    "sales": ("sales_manager", "sales_rep"),
    "operations": ("ops_manager", "ops_agent"),
    "support": ("support_manager", "support"),
    "other": ("manager", "analyst"),
}
_SALARY = {  # annual fully loaded cost, median
    "executive": 420_000.0,
    "sales_manager": 175_000.0,
    "sales_rep": 105_000.0,
    "ops_manager": 130_000.0,
    "ops_agent": 72_000.0,
    "support_manager": 120_000.0,
    "support": 66_000.0,
    "manager": 150_000.0,
    "analyst": 98_000.0,
}
LOCATIONS = ("New York", "Chicago", "Toronto", "London", "Berlin", "Madrid", "São Paulo", "Montréal")
# Latin-1 encodable on purpose (the messy export writes this file as Latin-1).
FIRST = (
    "José",
    "Zoë",
    "François",
    "Søren",
    "Amélie",
    "Jürgen",
    "Inês",
    "Lukas",
    "Maria",
    "James",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Sofia",
    "Mateo",
    "Chloé",
    "Björn",
    "Núria",
    "André",
    "Hélène",
    "Raúl",
    "Ana",
    "David",
    "Grace",
    "Omar",
    "Priya",
    "Wei",
    "Yuki",
    "Fatima",
    "Kofi",
    "Elena",
    "Tomás",
    "Léa",
    "Ingrid",
    "Marco",
)
LAST = (
    "Müller",
    "Núñez",
    "García",
    "Dubois",
    "Sørensen",
    "Åberg",
    "Fernández",
    "Smith",
    "Johnson",
    "Brown",
    "Lee",
    "Martin",
    "Rossi",
    "Silva",
    "Nguyen",
    "Kim",
    "Patel",
    "Khan",
    "Novak",
    "Weiß",
    "Lefèvre",
    "Gonçalves",
    "Brennan",
    "Jensen",
    "Cohen",
    "Schmidt",
    "López",
    "Moreau",
    "Costa",
    "Wagner",
    "Becker",
    "Hansen",
    "Peña",
    "Yilmaz",
    "Okafor",
    "Tanaka",
    "Ivanova",
    "Andersson",
    "Rodríguez",
    "Hall",
)


def _ascii(names: tuple[str, ...]) -> list[str]:
    out = []
    for n in names:
        s = unicodedata.normalize("NFKD", n.replace("ß", "ss").replace("ø", "o").replace("Ø", "O"))
        out.append("".join(ch for ch in s if ch.isascii() and ch.isalpha()).lower())
    return out


@dataclass(frozen=True)
class Workforce:
    """Everyone employed at some point in 2024-2025, one array element per person."""

    employee_id: NDArray[np.str_]
    email: NDArray[np.str_]
    full_name: NDArray[np.str_]
    dept: NDArray[np.int64]
    dept_names: NDArray[np.str_]
    dept_kind: NDArray[np.int64]
    """Kind of each department (index into KINDS)."""
    team: NDArray[np.int64]
    role: NDArray[np.str_]
    is_manager: NDArray[np.bool_]
    location: NDArray[np.str_]
    manager: NDArray[np.int64]
    """Index of the manager, -1 at the top."""
    hire_day: NDArray[np.int64]
    exit_day: NDArray[np.int64]
    """Days since 1970; -1 while employed."""
    loaded_salary: NDArray[np.float64]
    standard_hours: NDArray[np.float64]
    """NaN when HRIS does not know it (2,080 is then used)."""
    motivation: NDArray[np.float64]

    @property
    def n(self) -> int:
        return int(self.employee_id.size)

    def hourly_cost(self) -> NDArray[np.float64]:
        hours = np.where(np.isnan(self.standard_hours), 2080.0, self.standard_hours)
        return self.loaded_salary / hours

    def employed_whole_month(
        self, month_start: NDArray[np.int64], month_end: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """(person, month) mask: hired by the month's first day and not left before its last day."""
        hired = self.hire_day[:, None] <= month_start[None, :]
        stays = (self.exit_day[:, None] < 0) | (self.exit_day[:, None] >= month_end[None, :])
        return hired & stays

    def table(self) -> pa.Table:
        mgr = self.manager
        manager_id = pa.array(np.where(mgr >= 0, self.employee_id[np.maximum(mgr, 0)], ""))
        manager_id = pc.if_else(pa.array(mgr < 0), pa.scalar(None, pa.string()), manager_id)
        team_id = _io.prefixed_ids("T", self.team, 5)
        return pa.table(
            {
                "employee_id": pa.array(self.employee_id),
                "email": pa.array(self.email),
                "full_name": pa.array(self.full_name),
                "department": pa.array(self.dept_names[self.dept]),
                "team_id": team_id,
                "role": pa.array(self.role),
                "location": pa.array(self.location),
                "manager_id": manager_id,
                "hire_date": _io.dates(self.hire_day),
                "exit_date": _io.dates(np.where(self.exit_day >= 0, self.exit_day, -(10**7))),
                "loaded_salary": _io.floats(self.loaded_salary),
                "standard_hours": _io.floats(self.standard_hours, 1),
            }
        )


def n_departments(employees: int) -> int:
    """At least 32 departments (clustered inference needs >= 30), about one per 150 people."""
    return int(np.clip(round(employees / 150), 32, 800))


def build_workforce(rng: np.random.Generator, employees: int) -> Workforce:
    """Draw the HRIS: employee 0 is the CEO; departments are split into teams of about 8 under managers."""
    n = int(employees)
    n_dept = n_departments(n)
    dept_kind = np.repeat(np.arange(4), np.round(_KIND_SHARE * n_dept).astype(int))[:n_dept]
    if dept_kind.size < n_dept:
        dept_kind = np.concatenate([dept_kind, np.zeros(n_dept - dept_kind.size, dtype=int)])
    counters = np.zeros(4, dtype=int)
    names = []
    for k in dept_kind:  # <= 800 departments: not a hot path
        counters[k] += 1
        names.append(f"{_KIND_PREFIX[KINDS[k]]}-{counters[k]:02d}")
    dept_names = np.array(names)
    weights = rng.gamma(8.0, 1.0, n_dept)
    weights /= weights.sum()
    sizes = np.floor(weights * (n - 1)).astype(int)
    sizes[np.argsort(-(weights * (n - 1) - sizes))[: n - 1 - sizes.sum()]] += 1
    dept = np.concatenate([[0], np.repeat(np.arange(n_dept), sizes)])
    rank = np.concatenate([[0], np.arange(n - 1) - np.repeat(np.cumsum(sizes) - sizes, sizes)])
    team_in_dept = rank // 8
    team_offset = np.concatenate([[0], np.cumsum((sizes + 7) // 8)])[:-1]
    team = team_offset[dept] + team_in_dept + 1
    team[0] = 0
    is_manager = rank % 8 == 0
    is_manager[0] = False
    kind = dept_kind[dept]
    mgr_role = np.array([_ROLES[k][0] for k in KINDS])[kind]
    member_role = np.array([_ROLES[k][1] for k in KINDS])[kind]
    role = np.where(is_manager, mgr_role, member_role).astype("<U16")
    role[0] = "executive"
    # manager: members -> first person of their team; team managers -> department head; heads -> CEO
    idx = np.arange(n)
    team_first = idx - (rank % 8)
    dept_head = idx - rank
    manager = np.where(is_manager, dept_head, team_first)
    manager = np.where(is_manager & (rank == 0), 0, manager)
    manager[0] = -1

    # hires: managers long-tenured; 82 % of others before 2024, the rest hired during the window
    tenure_days = np.minimum(rng.exponential(4.0 * 365, n), 20 * 365).astype(np.int64) + 1
    before = DAY0 - tenure_days
    during = rng.integers(DAY0, LAST_DAY - 20, n)
    new_hire = (~is_manager) & (rng.random(n) < 0.18)
    new_hire[0] = False
    hire_day = np.where(new_hire, during, before)
    hire_day = np.where(is_manager, DAY0 - 365 - tenure_days, hire_day)
    # attrition: about 15 % of staff (5 % of managers) leave during the window
    leaves = rng.random(n) < np.where(is_manager, 0.05, 0.15)
    leaves[0] = False
    lo = np.maximum(hire_day, DAY0) + 45
    leaves &= lo < LAST_DAY
    exit_day = np.where(
        leaves, lo + np.floor(rng.random(n) * np.maximum(LAST_DAY - lo, 1)).astype(np.int64), -1
    )

    motivation = rng.standard_normal(n)
    base = np.array([_SALARY[str(r)] for r in np.unique(role)])
    salary = base[np.searchsorted(np.unique(role), role)] * np.exp(0.15 * rng.standard_normal(n))
    hours = np.where(rng.random(n) < 0.06, 1040.0, 2080.0)
    hours = np.where(rng.random(n) < 0.01, np.nan, hours)

    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    first_n, last_n = np.array(FIRST), np.array(LAST)
    full_name = np.char.add(np.char.add(first_n[first], " "), last_n[last])
    ids = np.char.add("E", np.char.zfill(np.arange(n).astype(str), 6))
    email = np.char.add(
        np.char.add(np.char.add(np.array(_ascii(FIRST))[first], "."), np.array(_ascii(LAST))[last]),
        np.char.add(np.char.add(".", np.char.zfill(np.arange(n).astype(str), 6)), "@acme.example"),
    )
    dept_loc = rng.integers(0, len(LOCATIONS), n_dept)
    loc_idx = np.where(rng.random(n) < 0.8, dept_loc[dept], rng.integers(0, len(LOCATIONS), n))
    corp = np.flatnonzero(dept_kind == KINDS.index("other"))
    if corp.size:
        dept[0] = corp[0]  # the CEO sits in a corporate department
    return Workforce(
        employee_id=ids,
        email=email,
        full_name=full_name,
        dept=dept.astype(np.int64),
        dept_names=dept_names,
        dept_kind=dept_kind.astype(np.int64),
        team=team.astype(np.int64),
        role=role,
        is_manager=is_manager | (idx == 0),
        location=np.array(LOCATIONS)[loc_idx],
        manager=manager.astype(np.int64),
        hire_day=hire_day.astype(np.int64),
        exit_day=exit_day.astype(np.int64),
        loaded_salary=np.round(salary, 2),
        standard_hours=hours,
        motivation=motivation,
    )


__all__ = ["KINDS", "Workforce", "build_workforce", "day", "n_departments"]
