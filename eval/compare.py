"""What changed between two eval reports, question by question.

    changes = compare(load_report(Path("reports/old.json")), new_report)
    print("\\n".join(comparison_lines(changes)))

Runs are matched by section and name (article/hybrid, squad/bm25-top1...), questions by id;
a question got better when its outcome moved up the order hit@1 > hit at a later citation
> miss (for unanswerable ones: abstained > answered), and worse when it moved down.
"""

from __future__ import annotations

from typing import Any

from eval.metrics import grade
from eval.report import RATES, rate_label

HEADLINE = ("all", "test")


def _first_cited(question: dict[str, Any]) -> str | None:
    cited = question.get("cited") or []
    return cited[0]["text"] if cited else None


def _change(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new["id"],
        "question": new["question"],
        "old": old["outcome"],
        "new": new["outcome"],
        "old_cited": _first_cited(old),
        "new_cited": _first_cited(new),
    }


def _summary(run: dict[str, Any], group: str) -> dict[str, Any]:
    summary = run["summary"]
    return summary["all"] if group == "all" else summary.get("splits", {}).get(group, {})


def _figures(old: dict[str, Any], new: dict[str, Any], k: int | None) -> list[dict[str, Any]]:
    rows = []
    for group in HEADLINE:
        before, after = _summary(old, group), _summary(new, group)
        if not after.get("questions"):
            continue
        for key, label in RATES:
            a, b = before.get(key), after.get(key)
            va = a.get("value") if a else None
            vb = b.get("value") if b else None
            rows.append(
                {
                    "group": group,
                    "metric": key,
                    "label": rate_label(key, label, k),
                    "old": a,
                    "new": b,
                    "delta": None if va is None or vb is None else round(vb - va, 4),
                }
            )
    return rows


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Better and worse questions and figure deltas for every run both reports hold."""
    old_sections = {s["name"]: s for s in old.get("sections", [])}
    runs = []
    for section in new.get("sections", []):
        old_runs = {r["name"]: r for r in old_sections.get(section["name"], {}).get("runs", [])}
        for run in section["runs"]:
            before = old_runs.get(run["name"])
            if before is None:
                continue
            previous = {q["id"]: q for q in before["questions"]}
            current = {q["id"] for q in run["questions"]}
            better, worse = [], []
            for q in run["questions"]:
                o = previous.get(q["id"])
                if o is None:
                    continue
                step = grade(q["outcome"]) - grade(o["outcome"])
                if step > 0:
                    better.append(_change(o, q))
                elif step < 0:
                    worse.append(_change(o, q))
            runs.append(
                {
                    "section": section["name"],
                    "run": run["name"],
                    "better": better,
                    "worse": worse,
                    "added": sorted(current - previous.keys()),
                    "removed": sorted(previous.keys() - current),
                    "figures": _figures(before, run, section.get("k")),
                }
            )
    return {"old": {"created": old.get("created"), "commit": old.get("commit")}, "runs": runs}


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    """Plain lines for a terminal: one per changed question."""
    lines = []
    for run in comparison["runs"]:
        lines.append(
            f"{run['section']}/{run['run']}: {len(run['better'])} better, {len(run['worse'])} worse"
        )
        for title, changes in (("better", run["better"]), ("worse", run["worse"])):
            lines += [
                f"  {title}: {c['id']} {c['question']!r} {c['old']} -> {c['new']}" for c in changes
            ]
    return lines
