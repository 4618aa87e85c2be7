"""The report as Markdown, for a pull request: figures by mode side by side, counts included."""

from __future__ import annotations

from typing import Any

from eval.report import (
    ARTICLE_HEADER,
    REPORT_FIELDS,
    article_rows,
    changed_figures,
    failure_lines,
    figure,
    groups_of,
    metric_rows,
    run_label,
)

KIND_COLUMNS = (
    ("hit_at_1", "hit@1"),
    ("hit_at_any", "hit@any"),
    ("abstention_recall", "abstention recall"),
    ("false_abstention_rate", "false abstentions"),
)


def escape_md(text: object) -> str:
    """Text safe inside a Markdown table cell or list item (no HTML, no cell breaks).

    >>> escape_md("<script> a|b")
    '&lt;script&gt; a\\\\|b'
    """
    text = " ".join(str(text).split())
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        text = text.replace(a, b)
    return text


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; every cell escaped."""
    lines = ["| " + " | ".join(escape_md(h) for h in header) + " |"]
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(escape_md(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _meta(report: dict[str, Any]) -> list[str]:
    lines = []
    for key, label in REPORT_FIELDS:
        if report.get(key) is not None:
            lines.append(f"- **{label}:** {escape_md(report[key])}")
    if report.get("question_files"):
        lines.append(
            "- **Question files:** " + ", ".join(escape_md(p) for p in report["question_files"])
        )
    return [*lines, ""]


def _kinds(section: dict[str, Any]) -> list[str]:
    answerers = [r for r in section["runs"] if r["kind"] == "answerer"]
    if not answerers:
        return []
    run = answerers[0]
    kinds = run["summary"].get("kinds", {})
    if len(kinds) < 2:
        return []
    rows = [
        [kind, str(s["questions"]), *[figure(s.get(key)) for key, _ in KIND_COLUMNS]]
        for kind, s in kinds.items()
    ]
    return [
        f"### By kind of question ({run['name']}, all splits)",
        "",
        *table(["kind", "questions", *[label for _, label in KIND_COLUMNS]], rows),
    ]


def _articles(section: dict[str, Any]) -> list[str]:
    answerers = [r for r in section["runs"] if r["kind"] == "answerer"]
    rows = article_rows(answerers[0]) if answerers else []
    if not rows:
        return []
    return [
        f"### By article ({answerers[0]['name']})",
        "",
        *table(list(ARTICLE_HEADER), rows),
    ]


def section_markdown(section: dict[str, Any]) -> list[str]:
    """One section (our articles, or SQuAD): a table per group, by article, by kind, notes."""
    lines = [f"## {escape_md(section['title'])}", ""]
    if section.get("attribution"):
        lines += [f"*{escape_md(section['attribution'])}*", ""]
    if section.get("sample"):
        sample = section["sample"]
        lines += [
            f"{sample['articles']} articles, {sample['questions']} questions "
            f"({sample['answerable']} answerable, {sample['unanswerable']} unanswerable), "
            f"sampled with seed {sample.get('seed')}; indexing took {sample.get('index_seconds')} s "
            f"of {sample.get('seconds')} s.",
            "",
        ]
    header = ["metric", *[run_label(r) for r in section["runs"]]]
    for group, heading in groups_of(section):
        lines += [f"### {heading}", "", *table(header, metric_rows(section, group))]
    return lines + _articles(section) + _kinds(section)


def comparison_markdown(comparison: dict[str, Any]) -> list[str]:
    """The comparison as Markdown lines: figure deltas, then better and worse questions."""
    old = comparison["old"]
    lines = [
        f"Compared with the report of {escape_md(old.get('created'))} "
        f"(commit {escape_md(old.get('commit') or '?')}).",
        "",
    ]
    if not comparison["runs"]:
        return [*lines, "No run in common with the old report.", ""]
    for run in comparison["runs"]:
        lines += [
            f"### {run['section']} / {escape_md(run['run'])}: "
            f"{len(run['better'])} better, {len(run['worse'])} worse",
            "",
        ]
        if run["added"] or run["removed"]:
            lines += [f"{len(run['added'])} questions new, {len(run['removed'])} gone.", ""]
        rows = changed_figures(run)
        if rows:
            lines += table(["group", "metric", "old", "new", "change"], rows)
        for title, changes in (("Better", run["better"]), ("Worse", run["worse"])):
            lines += [
                f"- {title}: `{escape_md(c['id'])}` {escape_md(c['question'])} — {c['old']} → {c['new']}"
                for c in changes
            ]
        lines.append("")
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    lines = ["# Footnote evaluation", "", *_meta(report)]
    for section in report["sections"]:
        lines += section_markdown(section)
    if report.get("comparison"):
        lines += ["## Changes", "", *comparison_markdown(report["comparison"])]
    for section in report["sections"]:
        answerers = [r for r in section["runs"] if r["kind"] == "answerer"]
        if not answerers:
            continue
        failures = failure_lines(answerers[0])
        lines += [
            f"<details><summary>{len(failures)} failures: {escape_md(section['title'])}, "
            f"{escape_md(answerers[0]['name'])}</summary>",
            "",
            *[f"- {escape_md(line)}" for line in failures],
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
