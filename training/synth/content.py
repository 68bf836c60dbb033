"""What a report says: the 200 field values, the agency and year, and facts the page prints.

`draw_content` samples values that satisfy all 42 勾稽 constraints from distributions shaped
like the real reports (most agencies receive few or no applications, natural persons dominate,
city governments receive thousands); `inject_source_errors` then breaks chosen totals the way
agencies misprint them, and records exactly which constraints the printed values violate.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from gongkai.extraction import fields as F
from gongkai.training.synth.orgs import Org, draw_org

__all__ = ["ReportContent", "draw_content", "violated", "OTHER_FIELDS"]

COLS = F.APPLICANT_COLUMNS
OTHER_FIELDS = [f"t3.{r}.{c}" for r in ("other.overdue_correction", "other.overdue_fee", "other.other")
                for c in F.T3_COLUMNS]
# share of each result row among handled applications (real reports, roughly)
ROW_WEIGHTS = {
    "granted": 36, "partial": 8, "denied.state_secret": 0.2, "denied.law_forbidden": 1, "denied.three_safety": 0.3,
    "denied.third_party": 2, "denied.internal_affairs": 2, "denied.process_info": 3, "denied.enforcement_file": 1,
    "denied.query_item": 3, "unable.not_held": 22, "unable.need_creation": 3, "unable.unclear": 2,
    "not_processed.petition": 4, "not_processed.duplicate": 3, "not_processed.publication": 0.6,
    "not_processed.excessive": 0.8, "not_processed.confirm": 0.5, "other.overdue_correction": 3,
    "other.overdue_fee": 0.1, "other.other": 4,
}
assert list(ROW_WEIGHTS) == F.RESULT_ROWS
COL_WEIGHTS = np.array([88, 6, 0.6, 0.6, 2.5, 2.3])
# applications per level: (P(zero), log-median, log-sd, cap)
APPS = {"city_gov": (0.02, math.log(600), 1.0, 6000), "district_gov": (0.08, math.log(60), 1.0, 1500),
        "gov_office": (0.3, math.log(12), 1.1, 800), "bureau": (0.38, math.log(6), 1.2, 600),
        "township": (0.6, math.log(2), 0.8, 40)}
DECISIONS = {"city_gov": math.log(8000), "district_gov": math.log(2000), "gov_office": math.log(20),
             "bureau": math.log(150), "township": math.log(10)}


@dataclass
class ReportContent:
    """One report's content. `fields` maps every printed canonical field id to its value
    (int, or float for `t2.fees.amount`); `missing` lists ids the form does not print (the three
    （六）其他处理 sub-rows when merged into one row, whose printed values are `merged_other`)."""

    org: Org
    year: int
    fields: dict[str, int | float]
    fee_decimals: int = 2
    missing: list[str] = field(default_factory=list)
    merged_other: dict[str, int] | None = None
    source_errors: list[str] = field(default_factory=list)
    publish_date: str = ""
    index_no: str = ""
    facts: dict[str, int] = field(default_factory=dict)  # numbers narrative text may quote

    def value(self, fid: str) -> int | float:
        return self.fields[fid]

    def gold(self) -> dict:
        out: dict = {"meta": {"org": self.org.name, "year": self.year}, "fields": dict(self.fields)}
        out["missing"] = list(self.missing)
        out["source_errors"] = list(self.source_errors)
        if self.merged_other is not None:
            out["merged_rows"] = {"t3.other": dict(self.merged_other)}
        return out


def _lognorm_int(rng: random.Random, mu: float, sd: float, cap: int) -> int:
    return min(cap, int(math.exp(rng.gauss(mu, sd))))


def _fees(rng: random.Random, level: str) -> tuple[float, int]:
    if level in ("township", "gov_office") or rng.random() < 0.55:
        return 0.0, 0
    mu = {"city_gov": math.log(20000), "district_gov": math.log(900), "bureau": math.log(150)}[level]
    v = min(99999.0, math.exp(rng.gauss(mu, 1.3)))
    d = rng.choices((0, 1, 2, 3, 4), weights=(2, 3, 6, 2, 1))[0]
    v = round(v, d)
    return (float(int(v)) if d == 0 else v), d


def _table2(rng: random.Random, level: str, out: dict) -> int:
    city = level == "city_gov"
    out["t2.rules.issued"] = rng.choice((0, 0, 1, 1, 2, 3, 5)) if city else 0
    out["t2.rules.repealed"] = rng.choice((0, 0, 0, 1, 2)) if city else 0
    out["t2.rules.in_force"] = rng.randint(20, 160) if city else 0
    issued = 0 if rng.random() < 0.45 else _lognorm_int(rng, math.log(4 if not city else 15), 0.9, 60)
    out["t2.normative.issued"] = issued
    out["t2.normative.repealed"] = 0 if rng.random() < 0.6 else _lognorm_int(rng, math.log(3), 1.0, 80)
    out["t2.normative.in_force"] = 0 if issued == 0 and rng.random() < 0.4 else issued + _lognorm_int(
        rng, math.log(15 if not city else 120), 0.9, 400)
    mu = DECISIONS[level]
    for k, pz in (("licensing", 0.35), ("punishment", 0.4), ("coercion", 0.6)):
        scale = {"licensing": 0.0, "punishment": -1.0, "coercion": -2.5}[k]
        out[f"t2.{k}.decisions"] = 0 if rng.random() < pz else _lognorm_int(rng, mu + scale, 1.3, 60000)
    fee, d = _fees(rng, level)
    out["t2.fees.amount"] = fee
    return d


def _table3(rng: random.Random, np_rng: np.random.Generator, level: str, out: dict) -> None:
    pz, mu, sd, cap = APPS[level]
    n_new = 0 if rng.random() < pz else max(1, _lognorm_int(rng, mu, sd, cap))
    colp = np_rng.dirichlet(COL_WEIGHTS * 3)
    if rng.random() < 0.5:  # many agencies see natural persons only
        colp = np.array([1.0, 0, 0, 0, 0, 0])
    new = np_rng.multinomial(n_new, colp)
    co_rate = 0.0 if rng.random() < 0.55 else rng.uniform(0.0, 0.08)
    cf_rate = 0.0 if rng.random() < 0.5 else rng.uniform(0.0, 0.08)
    carried = np_rng.binomial(new + np_rng.integers(0, 2, 6) * (new > 0), co_rate)
    forward = np_rng.binomial(new + carried, cf_rate)
    handled = new + carried - forward
    w = np.array(list(ROW_WEIGHTS.values()), dtype=float)
    roww = np_rng.dirichlet(w * 0.6 + 0.05)
    grid = np.stack([np_rng.multinomial(int(h), roww) for h in handled], axis=1)  # 21 x 6
    for ri, r in enumerate(F.RESULT_ROWS):
        for ci, c in enumerate(COLS):
            out[f"t3.{r}.{c}"] = int(grid[ri, ci])
    for r, vec in (("new_received", new), ("carried_over", carried), ("total", handled),
                   ("carried_forward", forward)):
        for ci, c in enumerate(COLS):
            out[f"t3.{r}.{c}"] = int(vec[ci])
    for r in F.T3_ROWS:
        out[f"t3.{r}.total"] = sum(out[f"t3.{r}.{c}"] for c in COLS)


def _table4(rng: random.Random, np_rng: np.random.Generator, level: str, apps: int, out: dict) -> None:
    scale = {"city_gov": 0.08, "district_gov": 0.06, "gov_office": 0.05, "bureau": 0.05, "township": 0.03}[level]
    for g, share in (("review", 1.0), ("litigation_direct", 0.35), ("litigation_after_review", 0.25)):
        lam = apps * scale * share * rng.uniform(0.2, 1.5)
        n = int(np_rng.poisson(lam)) if rng.random() < 0.85 else 0
        p = np_rng.dirichlet([6, 1.5, 2, 1.5])
        v = np_rng.multinomial(n, p)
        for o, x in zip(("upheld", "corrected", "other", "pending"), v):
            out[f"t4.{g}.{o}"] = int(x)
        out[f"t4.{g}.total"] = n


def violated(fields: dict, merged_other: dict | None = None) -> list[str]:
    """Names of the 勾稽 constraints the values break; absent and blank (None) fields count 0, and
    a merged （六）其他处理 row counts toward its column sums."""
    bad = []
    for name, lhs, rhs in F.CONSTRAINTS:
        a = sum(fields.get(f) or 0 for f in lhs)
        b = sum(fields.get(f) or 0 for f in rhs)
        if merged_other and name.startswith("t3.col."):
            b += merged_other.get(name.rsplit(".", 1)[1], 0)
        if a != b:
            bad.append(name)
    return bad


ERROR_TARGETS = [f"t3.{r}.total" for r in F.T3_ROWS] + [f"t3.total.{c}" for c in F.T3_COLUMNS] + [
    f"t4.{g}.total" for g in F.T4_GROUPS] + [f"t3.new_received.{c}" for c in COLS[:2]]


def _inject_errors(rng: random.Random, c: ReportContent) -> None:
    for _ in range(1 if rng.random() < 0.8 else 2):
        fid = rng.choice([f for f in ERROR_TARGETS if f in c.fields])
        v = c.fields[fid]
        kind = rng.random()
        if kind < 0.3 and v:
            nv = 0  # a total printed as 0 over non-zero parts, a real-world misprint
        elif kind < 0.5 and v >= 10:
            s = str(v)
            nv = int(s[1] + s[0] + s[2:]) if s[0] != s[1] else v + 10
        else:
            nv = max(0, v + rng.choice((-3, -2, -1, 1, 1, 2, 5, 10)))
        if nv == v:
            nv = v + 1
        c.fields[fid] = nv
    c.source_errors = violated(c.fields, c.merged_other)


def draw_content(seed_rng: random.Random, np_rng: np.random.Generator, *, source_error_rate: float = 0.0,
                 merged_other_rate: float = 0.04, year: int | None = None, levels: dict | None = None) -> ReportContent:
    rng = seed_rng
    org = draw_org(rng, levels)
    year = year or rng.choice((2021, 2022, 2023, 2024, 2024, 2025))
    out: dict = {}
    fee_d = _table2(rng, org.level, out)
    _table3(rng, np_rng, org.level, out)
    _table4(rng, np_rng, org.level, out["t3.new_received.total"], out)
    fields = {f: out[f] for f in F.ALL_FIELDS}
    c = ReportContent(org=org, year=year, fields=fields, fee_decimals=fee_d)
    if rng.random() < merged_other_rate:
        c.merged_other = {col: sum(fields[f"t3.{r}.{col}"] for r in ("other.overdue_correction",
                                                                      "other.overdue_fee", "other.other"))
                          for col in F.T3_COLUMNS}
        c.missing = list(OTHER_FIELDS)
        for f in OTHER_FIELDS:
            del fields[f]
    m, d = rng.randint(1, 3), rng.randint(1, 28)
    c.publish_date = f"{year + 1}-{m:02d}-{d:02d}"
    c.index_no = (f"{rng.randint(10**10, 10**11 - 1)}{rng.choice('ABCDEFGHJK')}/{year + 1}-"
                  f"{rng.randint(10**5, 10**7)}")
    c.facts = {"posts": _lognorm_int(rng, math.log(600), 1.0, 20000), "wechat": _lognorm_int(rng, math.log(200), 1.0, 5000),
               "training": rng.randint(1, 8), "meetings": rng.randint(2, 40), "readings": rng.randint(3, 120),
               "proposals": rng.randint(0, 60), "checks": rng.randint(1, 12), "people": rng.randint(20, 600)}
    if rng.random() < source_error_rate:
        _inject_errors(rng, c)
    return c
