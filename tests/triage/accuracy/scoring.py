"""Scores triage on the accuracy sets: top-1, precision, negatives clean, retry delay.

Shared by `./dev bench accuracy` (prints the table) and the floor test, so both judge
a case the same way. The protocol is in docs/accuracy.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.triage.engine import Triage, TriageEngine, engine_for

HERE = Path(__file__).parent
PARTS = ("dev", "holdout")


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    paste: str
    expect: tuple[str, ...]
    also: tuple[str, ...] = ()
    acceptable: tuple[str, ...] = ()
    retry_after_s: int | None = None

    @property
    def negative(self) -> bool:
        return not self.expect

    @property
    def allowed(self) -> frozenset[str]:
        """Every entry that may be confident for this paste without being wrong."""
        return frozenset((*self.expect, *self.also, *self.acceptable))


@dataclass(frozen=True)
class Outcome:
    case: Case
    confident: tuple[str, ...]
    retry_after_s: int | None
    listed: tuple[str, ...] = ()  # with nothing confident: the entries sharing the status

    @property
    def top1(self) -> bool:
        if self.case.negative:
            return not self.confident
        if not self.confident and self.listed:
            # "HTTP 409 is one of these": right when every entry listed is acceptable.
            return (all(k in self.case.allowed for k in self.listed)
                    and any(k in self.case.expect for k in self.listed))
        return (bool(self.confident) and self.confident[0] in self.case.expect
                and all(a in self.confident for a in self.case.also))

    @property
    def precise(self) -> bool:
        return all(key in self.case.allowed for key in self.confident)

    @property
    def retry_right(self) -> bool | None:
        if self.case.retry_after_s is None:
            return None
        return self.retry_after_s == self.case.retry_after_s


@dataclass
class Tally:
    positives: int = 0
    top1: int = 0
    precise: int = 0
    negatives: int = 0
    clean: int = 0
    retry_cases: int = 0
    retry_right: int = 0
    misses: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        if o.case.negative:
            self.negatives += 1
            self.clean += o.top1
        else:
            self.positives += 1
            self.top1 += o.top1
            self.precise += o.precise
        if o.retry_right is not None:
            self.retry_cases += 1
            self.retry_right += o.retry_right
        if not (o.top1 and o.precise and o.retry_right is not False):
            self.misses.append(o)

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None


def case_files(part: str) -> list[Path]:
    """A part's file and its extensions: `dev.yml`, `dev_more.yml`, ...; `holdout.yml`,
    `holdout_fresh3.yml` (each extension written blind, like the file it extends)."""
    return [HERE / f"{part}.yml", *sorted(HERE.glob(f"{part}_*.yml"))]


def load_cases(part: str) -> list[Case]:
    raw = [c for path in case_files(part)
           for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]]
    return [Case(id=c["id"], category=c["category"], paste=c["paste"],
                 expect=tuple(c.get("expect") or ()), also=tuple(c.get("also") or ()),
                 acceptable=tuple(c.get("acceptable") or ()),
                 retry_after_s=c.get("retry_after_s")) for c in raw]


def run(cases: Iterable[Case], ask: Callable[[str], Triage]) -> list[Outcome]:
    out = []
    for case in cases:
        result = ask(case.paste)
        out.append(Outcome(case, tuple(f.entry.key for f in result.confident),
                           result.evidence.retry_after_s,
                           tuple(e.key for e in result.same_status)))
    return out


def tally(outcomes: Sequence[Outcome]) -> dict[str, Tally]:
    """Per category, plus 'all'."""
    by: dict[str, Tally] = {"all": Tally()}
    for o in outcomes:
        by.setdefault(o.case.category, Tally()).add(o)
        by["all"].add(o)
    return by


def score(part: str, engine: TriageEngine | None = None) -> dict[str, Tally]:
    engine = engine or engine_for()
    return tally(run(load_cases(part), engine.triage))


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{value * 100:5.1f}"


def table(part: str, by: dict[str, Tally]) -> str:
    rows = [f"{part}: {'category':<10} {'cases':>5}  {'top-1':>5}  {'prec':>5}  "
            f"{'clean':>5}  {'retry':>5}"]
    for name in [*sorted(k for k in by if k != "all"), "all"]:
        t = by[name]
        rows.append(f"{'':{len(part) + 2}}{name:<10} {t.positives + t.negatives:>5}  "
                    f"{_pct(Tally.share(t.top1, t.positives))}  "
                    f"{_pct(Tally.share(t.precise, t.positives))}  "
                    f"{_pct(Tally.share(t.clean, t.negatives))}  "
                    f"{_pct(Tally.share(t.retry_right, t.retry_cases))}")
    return "\n".join(rows)
