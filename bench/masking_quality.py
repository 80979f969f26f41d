"""Masking quality on texts written by someone else: recall of personal data, look-alikes kept.

Run: .venv/bin/python bench/masking_quality.py [--corpus PATH]
     (targets: recall >= 99%, look-alikes kept >= 99%)
     Without --corpus both shipped sets are scored: evaluation.jsonl (written alongside the rules)
     and independent.jsonl (written by someone who never saw the masking code; the honest one).

Reads kcc/data/masking/evaluation.jsonl: one JSON object per line with "text", "personal" (a list
of {"value", "kind"}, kind being a placeholder word such as TELEFOON) and "lookalikes" (strings
that must survive masking). Each text goes through mask_personal_data once.

Counting rules, kept deliberately simple:
- A personal value is caught when it no longer occurs verbatim in the masked text. For TELEFOON,
  BSN and IBAN it must also leave no trace: none of its own runs of 4 or more digits may still
  stand in the masked text as a whole digit run: "06-12345678" leaving "06-[X] 12345678" behind
  is not caught, while a leftover of 1-3 digits ("06-[TELEFOON]") is accepted. Which placeholder
  replaced the value does not matter: a BSN masked as [TELEFOON] still counts as caught.
- A look-alike is kept when it still occurs verbatim in the masked text.
Every missed item is listed with the masked text, so the rules can be fixed from this output.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kcc.privacy.masking import mask_personal_data

CORPORA = Path(__file__).resolve().parent.parent / "kcc/data/masking"
DEFAULT_CORPORA = (CORPORA / "evaluation.jsonl", CORPORA / "independent.jsonl")
TARGET = 0.99
DIGIT_TRACE_KINDS = frozenset({"TELEFOON", "BSN", "IBAN"})
LONG_DIGIT_RUN = re.compile(r"\d{4,}")
EXCERPT_LENGTH = 140


@dataclass(frozen=True, slots=True)
class Miss:
    """One item the masking got wrong: its kind, its value and the masked text it sits in."""

    kind: str
    value: str
    masked: str


@dataclass
class Tally:
    """Counts over the whole set: per kind found/total, look-alikes kept/total, and misses."""

    personal_total: Counter[str] = field(default_factory=Counter)
    personal_caught: Counter[str] = field(default_factory=Counter)
    lookalikes_total: int = 0
    lookalikes_kept: int = 0
    missed_personal: list[Miss] = field(default_factory=list)
    changed_lookalikes: list[Miss] = field(default_factory=list)


def load_examples(path: Path) -> list[dict]:
    """The evaluation examples, one per non-empty line."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def leaves_digit_trace(value: str, masked: str) -> bool:
    """Tell whether one of the value's runs of 4+ digits still stands whole in the masked text."""
    return any(re.search(rf"(?<!\d){run}(?!\d)", masked) for run in LONG_DIGIT_RUN.findall(value))


def is_caught(kind: str, value: str, masked: str) -> bool:
    """Tell whether a personal value counts as masked (see the module docstring)."""
    if value in masked:
        return False
    return not (kind in DIGIT_TRACE_KINDS and leaves_digit_trace(value, masked))


def score(examples: list[dict]) -> Tally:
    """Mask every text and count what was caught and what was kept."""
    tally = Tally()
    for example in examples:
        masked = mask_personal_data(example["text"])
        for item in example["personal"]:
            kind, value = item["kind"], item["value"]
            tally.personal_total[kind] += 1
            if is_caught(kind, value, masked):
                tally.personal_caught[kind] += 1
            else:
                tally.missed_personal.append(Miss(kind, value, masked))
        for value in example["lookalikes"]:
            tally.lookalikes_total += 1
            if value in masked:
                tally.lookalikes_kept += 1
            else:
                tally.changed_lookalikes.append(Miss("look-alike", value, masked))
    return tally


def share(part: int, whole: int) -> float:
    """part / whole, or 1.0 for an empty whole (nothing to get wrong)."""
    return part / whole if whole else 1.0


def line(label: str, part: int, whole: int) -> str:
    """One aligned figure: label, part/whole and the percentage."""
    return f"  {label:<16}{part:>4}/{whole:<4} {share(part, whole):7.1%}"


def verdict(value: float) -> str:
    """OK when a figure meets the target, else MISSED."""
    return "OK" if value >= TARGET else "MISSED"


def excerpt(text: str) -> str:
    """The masked text, shortened for a one-line listing."""
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def print_report(corpus: Path, examples: list[dict], tally: Tally) -> None:
    """Print figures per kind, the verdicts against the targets and every missed item."""
    caught = sum(tally.personal_caught.values())
    total = sum(tally.personal_total.values())
    print(f"Masking quality on {corpus.name}")
    print(f"{len(examples)} texts, {total} personal values, {tally.lookalikes_total} look-alikes\n")
    print("Recall per kind (caught/total)")
    for kind in sorted(tally.personal_total):
        print(line(kind, tally.personal_caught[kind], tally.personal_total[kind]))
    print(line("all kinds", caught, total))
    print("\nLook-alikes kept (verbatim in the masked text)")
    print(line("all look-alikes", tally.lookalikes_kept, tally.lookalikes_total))
    recall = share(caught, total)
    kept = share(tally.lookalikes_kept, tally.lookalikes_total)
    print(f"\nTargets (each >= {TARGET:.0%})")
    print(f"  recall, all kinds     {recall:7.1%}  {verdict(recall)}")
    for kind in sorted(tally.personal_total):
        kind_recall = share(tally.personal_caught[kind], tally.personal_total[kind])
        print(f"  recall, {kind:<14}{kind_recall:7.1%}  {verdict(kind_recall)}")
    print(f"  look-alikes kept      {kept:7.1%}  {verdict(kept)}")
    print_misses("Missed personal data", tally.missed_personal)
    print_misses("Look-alikes changed", tally.changed_lookalikes)


def print_misses(title: str, misses: list[Miss]) -> None:
    """List missed items as kind, value and the masked text they were in."""
    print(f"\n{title} ({len(misses)})")
    for miss in misses:
        print(f"  {miss.kind:<14}{miss.value!r}\n      masked: {excerpt(miss.masked)}")


def main() -> None:
    """Score the evaluation sets and print a report for each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="a JSONL evaluation set")
    arguments = parser.parse_args()
    for number, corpus in enumerate(arguments.corpus or DEFAULT_CORPORA):
        if not corpus.exists():
            print(f"{corpus}: not found, skipped")
            continue
        if number:
            print("\n" + "=" * 72 + "\n")
        examples = load_examples(corpus)
        print_report(corpus, examples, score(examples))


if __name__ == "__main__":
    main()
