"""Reports: one JSON document for machines, rendered as Markdown (for a pull request) and HTML.

The JSON is the source of truth: Markdown and HTML are rendered from it, and
`footnote eval --compare OLD.json` reads it back.

    report = build_report([Section("article", "Our articles", runs, k=6)], meta)
    paths = write_reports(report, Path("reports"))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from eval.metrics import groups_to_dict, holds_evidence, report_groups
from eval.runner import Record, Run

FORMAT = "footnote-eval"
VERSION = 1

# (key in a summary, label, kind) in the order tables and charts show them.
RATES = (
    ("hit_at_1", "hit@1"),
    ("hit_at_any", "hit@any"),
    ("citation_precision", "citation precision"),
    ("mrr", "MRR"),
    ("recall_at_k", "recall@k"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("false_abstention_rate", "false-abstention rate"),
)
# The figures an editor compares article by article (one row each).
ARTICLE_COLUMNS = (
    ("hit_at_1", "hit@1"),
    ("hit_at_any", "hit@any"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("false_abstention_rate", "false abstentions"),
)
ARTICLE_HEADER = ("article", "split", "questions", *(label for _, label in ARTICLE_COLUMNS))
DISTRIBUTIONS = (
    ("answer_sentences", "median", "sentences per answer (median)"),
    ("answer_chars", "median", "characters per answer (median)"),
    ("citation_chars", "median", "characters per cited sentence (median)"),
    ("latency_ms", "median", "latency ms (median)"),
    ("latency_ms", "p95", "latency ms (p95)"),
)


@dataclass(slots=True)
class Section:
    """A set of questions measured in one run: our articles, or SQuAD."""

    name: str
    title: str
    runs: list[Run]
    k: int | None
    notes: dict[str, Any] = field(default_factory=dict)
    # Ids of the unanswerable questions that use only words the article has (their own group).
    hard: frozenset[str] = frozenset()


def _record(record: Record) -> dict[str, Any]:
    item, obs = record.item, record.observation
    return {
        "id": item.id,
        "question": item.question,
        "history": list(item.history),
        "split": item.split,
        "kind": item.kind,
        "doc_id": item.doc_id,
        "expected": item.answer,
        "evidence": list(item.evidence),
        "answered": record.score.answered,
        "answer": obs.answer,
        "cited": [{"text": c, "relevant": holds_evidence(c, item.evidence)} for c in obs.cited],
        "related": list(obs.related),
        "error": obs.error,
        **record.score.to_dict(),
    }


def run_to_dict(run: Run, hard: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A run's totals (all, per split, per kind, follow-ups, hard unanswerable) and its questions."""
    return {
        "name": run.name,
        "kind": run.kind,
        "target": run.target,
        "summary": groups_to_dict(report_groups(run.scores, hard)),
        "questions": [_record(r) for r in run.records],
    }


def build_report(sections: Sequence[Section], meta: dict[str, Any]) -> dict[str, Any]:
    """The whole report as JSON-ready data; `meta` says what was run (command, split, ...)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        **meta,
        "sections": [
            {
                "name": s.name,
                "title": s.title,
                "k": s.k,
                **s.notes,
                "runs": [run_to_dict(r, s.hard) for r in s.runs],
            }
            for s in sections
        ],
    }


def load_report(path: Path) -> dict[str, Any]:
    """Read a report JSON written by `footnote eval`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"{path}: no such report") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a report written by `footnote eval --out`")
    return data


# -- text rendering ----------------------------------------------------------------------


def figure(value: dict[str, Any] | None) -> str:
    """A figure as text with its count: "83.0% (39/47)", "0.812 (n=47)" or "n/a".

    >>> figure({"value": 0.5, "count": 1, "n": 2}), figure({"value": None, "count": 0, "n": 0})
    ('50.0% (1/2)', 'n/a (n=0)')
    """
    if not value:
        return "n/a"
    if value.get("value") is None:
        return f"n/a (n={value.get('n', 0)})"
    if "count" in value:
        return f"{value['value']:.1%} ({value['count']}/{value['n']})"
    return f"{value['value']:.3f} (n={value['n']})"


def run_label(run: dict[str, Any]) -> str:
    """A run's column heading: its name, marked when it is a naive baseline."""
    return f"{run['name']} (baseline)" if run["kind"] == "baseline" else run["name"]


def rate_label(key: str, label: str, k: int | None) -> str:
    """The label of a metric, with the recall cut-off filled in."""
    return label.replace("@k", f"@{k}") if key == "recall_at_k" and k else label


def metric_rows(section: dict[str, Any], group: str) -> list[list[str]]:
    """Rows (label, one cell per run) of one summary group ("all", "split:test", "followups")."""
    summaries = [_group(run["summary"], group) for run in section["runs"]]
    rows = []
    for key, label in RATES:
        rows.append(
            [rate_label(key, label, section.get("k"))]
            + [figure(s.get(key)) if s else "n/a" for s in summaries]
        )
    rows.append(
        ["calibration error (first citation's score)"] + [_calibration_cell(s) for s in summaries]
    )
    for key, stat, label in DISTRIBUTIONS:
        cells = []
        for s in summaries:
            value = s.get(key, {}).get(stat) if s else None
            cells.append("n/a" if value is None else f"{value:g}")
        rows.append([label, *cells])
    rows.append(["questions", *[str(s.get("questions", 0)) if s else "0" for s in summaries]])
    return rows


def article_rows(run: dict[str, Any]) -> list[list[str]]:
    """One row per article (ARTICLE_HEADER) when the run asked about two or more: which
    split its questions are in, how many, and its ARTICLE_COLUMNS figures."""
    articles = run["summary"].get("articles", {})
    if len(articles) < 2:
        return []
    splits: dict[str, set[str]] = {}
    for q in run["questions"]:
        splits.setdefault(q["doc_id"], set()).add(q["split"] or "none")
    return [
        [
            doc_id,
            "+".join(sorted(splits.get(doc_id, ()))),
            str(s["questions"]),
            *[figure(s.get(key)) for key, _ in ARTICLE_COLUMNS],
        ]
        for doc_id, s in articles.items()
    ]


def _calibration_cell(summary: dict[str, Any] | None) -> str:
    value = (summary or {}).get("calibration") or {}
    return "n/a" if value.get("value") is None else f"{value['value']:.3f} (n={value['n']})"


def _group(summary: dict[str, Any], group: str) -> dict[str, Any] | None:
    if group in ("all", "followups"):
        return summary.get(group)
    if group == "hard":
        return summary.get("hard_unanswerable", {}).get("all")
    kind, _, name = group.partition(":")
    table = {"split": "splits", "kind": "kinds", "hard": "hard_unanswerable"}[kind]
    return summary.get(table, {}).get(name)


def groups_of(section: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary groups worth a table: (group key, heading)."""
    runs = section["runs"]
    if not runs:
        return []
    summary = runs[0]["summary"]
    groups = [("all", "All questions")]
    labels = {"test": "Test split (held out: never tuned on)", "dev": "Dev split (tuned on)"}
    for split in ("test", "dev"):
        if split in summary.get("splits", {}):
            groups.append((f"split:{split}", labels[split]))
    if summary.get("followups", {}).get("questions"):
        groups.append(("followups", "Follow-up questions (with history)"))
    hard = summary.get("hard_unanswerable", {})
    if hard.get("all", {}).get("questions"):
        groups.append(("hard", "Unanswerable questions in the article's own words"))
        if hard.get("test", {}).get("questions"):
            groups.append(("hard:test", "… of them in the test split"))
    return groups


def failure_lines(run: dict[str, Any], width: int = 160) -> list[str]:
    """One line per question the run got wrong: question, what was cited, what was expected."""

    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = []
    for q in run["questions"]:
        if q["correct"]:
            continue
        if q["error"]:
            cited = f"error: {q['error']}"
        elif q["cited"]:
            cited = "cited: " + cut(q["cited"][0]["text"])
        else:
            cited = "abstained" if not q["answered"] else "cited nothing"
        expected = (
            "expected: " + " | ".join(cut(e) for e in q["evidence"])
            if q["evidence"]
            else "expected: an abstention"
        )
        lines.append(f"{q['id']} [{q['outcome']}] {cut(q['question'])!r} — {cited} — {expected}")
    return lines


def write_reports(report: dict[str, Any], out: Path, stem: str | None = None) -> list[Path]:
    """Write STEM.json, STEM.md and STEM.html under `out` (created if needed)."""
    from eval.markdown import render_markdown
    from eval.page import render_html

    out.mkdir(parents=True, exist_ok=True)
    stem = stem or "eval-" + datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = [out / f"{stem}.json", out / f"{stem}.md", out / f"{stem}.html"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    paths[2].write_text(render_html(report), encoding="utf-8")
    return paths


def signed(delta: float | None, key: str) -> str:
    """A change in a figure, in points (or in MRR units), saying whether it is better."""
    if delta is None:
        return "n/a"
    text = f"{delta * 100:+.1f} pts" if key not in ("mrr", "recall_at_k") else f"{delta:+.3f}"
    worse = delta > 0 if key == "false_abstention_rate" else delta < 0
    return text + (" (worse)" if worse else " (better)" if delta else "")


def changed_figures(run: dict[str, Any]) -> list[list[str]]:
    """Rows (group, metric, old, new, change) of the figures a comparison found changed."""
    return [
        [
            f["group"],
            f["label"],
            figure(f["old"]),
            figure(f["new"]),
            signed(f["delta"], f["metric"]),
        ]
        for f in run["figures"]
        if f["delta"]
    ]


REPORT_FIELDS = (
    ("command", "Command"),
    ("created", "When"),
    ("commit", "Commit"),
    ("target", "Asked"),
    ("split", "Split"),
    ("seconds", "Run time (s)"),
)
"""How each report renders its provenance: the key in the JSON and its label."""
