"""The report as one self-contained HTML page: no scripts, no fonts, no network.

A bar chart (inline SVG) of the metrics by mode for each section, the figure tables, and
a per-question table (question, answer, cited sentences, expected evidence, hit or miss
in colour). Every piece of text is escaped; a Content-Security-Policy forbids any fetch.
"""

from __future__ import annotations

from html import escape
from typing import Any

from eval.report import (
    ARTICLE_HEADER,
    RATES,
    REPORT_FIELDS,
    article_rows,
    changed_figures,
    failure_lines,
    groups_of,
    metric_rows,
    rate_label,
    run_label,
)

COLOURS = ("#1f6feb", "#8957e5", "#bf3989", "#6e7781", "#b3a17f", "#2da44e", "#d4a72c")
GOOD = ("hit@1", "abstained")
PARTIAL = ("hit-later",)
CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328}
h1,h2,h3{line-height:1.2}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
tr.good td.outcome{background:#dafbe1}tr.partial td.outcome{background:#fff8c5}
tr.bad td.outcome{background:#ffebe9}li.rel{color:#116329}li.irrel{color:#82071e}
.muted{color:#656d76;font-size:.9em}ol,ul{margin:0;padding-left:1.2rem}
details{margin:1rem 0}summary{cursor:pointer;font-weight:600}
.qs td{font-size:.9em}.qs td:nth-child(3){min-width:14rem}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
"""


def e(text: object) -> str:
    """HTML-escaped text, quotes included.

    >>> e('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return escape("" if text is None else str(text), quote=True)


def chart(section: dict[str, Any]) -> str:
    """Horizontal grouped bars over all questions: one group per metric, one bar per run.

    Rates are drawn on 0–100 %; MRR and recall@k, means in [0, 1], on the same axis.
    """
    runs = section["runs"]
    if not runs:
        return ""
    label_w, plot_w, bar_h, gap, legend_h = 190, 560, 13, 12, 22 * len(runs) + 10
    group_h = bar_h * len(runs) + gap
    height = legend_h + group_h * len(RATES) + 20
    out = [
        f'<svg role="img" width="{label_w + plot_w + 150}" height="{height}" '
        f'viewBox="0 0 {label_w + plot_w + 150} {height}" aria-label="metrics by mode">'
    ]
    for i, run in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        y = 8 + 22 * i
        out.append(f'<rect x="{label_w}" y="{y}" width="14" height="14" fill="{colour}"/>')
        out.append(f'<text x="{label_w + 20}" y="{y + 12}">{e(run_label(run))}</text>')
    for pct in (0, 25, 50, 75, 100):
        x = label_w + plot_w * pct / 100
        out.append(
            f'<line x1="{x}" y1="{legend_h}" x2="{x}" y2="{height - 16}" stroke="#d0d7de"/>'
            f'<text x="{x - 10}" y="{height - 3}">{pct}%</text>'
        )
    for g, (key, label) in enumerate(RATES):
        top = legend_h + g * group_h
        out.append(
            f'<text x="{label_w - 8}" y="{top + group_h / 2}" text-anchor="end">'
            f"{e(rate_label(key, label, section.get('k')))}</text>"
        )
        for i, run in enumerate(runs):
            value = run["summary"]["all"].get(key) or {}
            y = top + i * bar_h
            v = value.get("value")
            if v is None:
                out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" fill="#656d76">n/a</text>')
                continue
            width = max(plot_w * v, 1)
            tip = f"{run_label(run)} {label}: {v:.3f} (n={value.get('n')})"
            shown = f"{v:.0%}" if "count" in value else f"{v:.2f}"
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar_h - 2}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"><title>{e(tip)}</title></rect>'
                f'<text x="{label_w + width + 4:.1f}" y="{y + bar_h - 3}">{shown}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def reliability_chart(run: dict[str, Any], group: str = "all") -> str:
    """The reliability diagram of one answerer: for each confidence bin of the first citation's
    score, how often that sentence held the answer; a calibrated answerer sits on the diagonal."""
    summary = run["summary"]["all"] if group == "all" else run["summary"]["splits"].get(group)
    calibration = (summary or {}).get("calibration") or {}
    bins = [b for b in calibration.get("bins", []) if b["count"]]
    if not bins:
        return ""
    size, pad = 260, 36
    total = sum(b["count"] for b in bins)

    def x(v: float) -> float:
        return pad + v * size

    def y(v: float) -> float:
        return pad + (1 - v) * size

    out = [
        f'<svg role="img" width="{size + 2 * pad}" height="{size + 2 * pad}" '
        f'aria-label="reliability of {e(run_label(run))}">',
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#d0d7de"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#8c959f" '
        'stroke-dasharray="4 3"/>',
    ]
    for tick in (0, 0.5, 1):
        out.append(f'<text x="{x(tick) - 8}" y="{pad + size + 16}">{tick:g}</text>')
        out.append(f'<text x="{pad - 24}" y="{y(tick) + 4}">{tick:g}</text>')
    for b in bins:
        width = size * (b["high"] - b["low"])
        top = y(b["accuracy"])
        tip = (
            f"score {b['low']:.1f}–{b['high']:.1f}: {b['count']} questions, mean score "
            f"{b['confidence']:.2f}, right {b['accuracy']:.0%}"
        )
        out.append(
            f'<rect x="{x(b["low"]) + 1:.1f}" y="{top:.1f}" width="{width - 2:.1f}" '
            f'height="{y(0) - top:.1f}" fill="{COLOURS[0]}" fill-opacity="'
            f'{0.25 + 0.75 * b["count"] / total:.2f}"><title>{e(tip)}</title></rect>'
        )
    out.append(
        f'<text x="{pad}" y="{pad - 10}">share right, by the first citation\u2019s score '
        f"(calibration error {calibration['value']:.3f}, n={calibration['n']})</text></svg>"
    )
    return "".join(out)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + f"<td>{e(row[0])}</td>"
        + "".join(f'<td class="num">{e(c)}</td>' for c in row[1:])
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _items(values: list[str], empty: str) -> str:
    if not values:
        return f'<span class="muted">{e(empty)}</span>'
    return "<ul>" + "".join(f"<li>{e(v)}</li>" for v in values) + "</ul>"


def question_table(run: dict[str, Any]) -> str:
    """One row per question; the outcome cell coloured, relevant citations in green."""
    rows = []
    for q in run["questions"]:
        css = "good" if q["outcome"] in GOOD else "partial" if q["outcome"] in PARTIAL else "bad"
        history = (
            f'<div class="muted">after: {e(" / ".join(q["history"]))}</div>' if q["history"] else ""
        )
        cited = "".join(
            f'<li class="{"rel" if c["relevant"] else "irrel"}">{e(c["text"])}</li>'
            for c in q["cited"]
        )
        cited = f"<ol>{cited}</ol>" if cited else '<span class="muted">none</span>'
        if q["error"]:
            cited = f'<span class="muted">error: {e(q["error"])}</span>'
        rows.append(
            f'<tr class="{css}"><td>{e(q["id"])}</td><td>{e(q["split"] or "")} {e(q["kind"])}</td>'
            f"<td>{history}{e(q['question'])}</td><td>{e(q['answer'])}</td><td>{cited}</td>"
            f"<td>{_items(q['evidence'], 'should abstain')}</td>"
            f'<td class="outcome">{e(q["outcome"])}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "id",
            "split, kind",
            "question",
            "answer",
            "cited",
            "expected evidence",
            "outcome",
        )
    )
    return f'<table class="qs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _section(section: dict[str, Any]) -> str:
    parts = [f"<h2>{e(section['title'])}</h2>"]
    if section.get("attribution"):
        parts.append(f'<p class="muted">{e(section["attribution"])}</p>')
    if section.get("sample"):
        s = section["sample"]
        parts.append(
            f"<p>{e(s['articles'])} articles, {e(s['questions'])} questions ({e(s['answerable'])} "
            f"answerable, {e(s['unanswerable'])} unanswerable), seed {e(s.get('seed'))}.</p>"
        )
    parts.append(
        '<p class="muted">All questions, by mode and baseline (hover a bar for its count; '
        "MRR and recall@k are means on the same 0–1 axis).</p>" + chart(section)
    )
    header = ["metric", *[run_label(r) for r in section["runs"]]]
    for group, heading in groups_of(section):
        parts.append(f"<h3>{e(heading)}</h3>{_table(header, metric_rows(section, group))}")
    answerers = [r for r in section["runs"] if r["kind"] == "answerer"]
    rows = article_rows(answerers[0]) if answerers else []
    if rows:
        parts.append(
            f"<h3>By article ({e(answerers[0]['name'])})</h3>{_table(list(ARTICLE_HEADER), rows)}"
        )
    if answerers:
        split = "test" if "test" in answerers[0]["summary"].get("splits", {}) else "all"
        charts = "".join(reliability_chart(r, split) for r in answerers)
        if charts:
            parts.append(
                f"<h3>Is the first citation's score a probability? "
                f"({'test split' if split == 'test' else 'all questions'})</h3>"
                '<p class="muted">Questions binned by the score of their first citation; the bar '
                "is how often that sentence held the answer (unanswerable questions count as "
                "not). A calibrated answerer's bars reach the dashed diagonal.</p>"
                f"<div>{charts}</div>"
            )
    shown = answerers if section["name"] != "squad" else answerers[:1]
    for n, run in enumerate(shown):
        wrong = len(failure_lines(run))
        parts.append(
            f"<details{' open' if n == 0 else ''}><summary>Every question, {e(run['name'])} "
            f"({len(run['questions']) - wrong} right, {wrong} wrong)</summary>{question_table(run)}</details>"
        )
    return "".join(parts)


def comparison_html(comparison: dict[str, Any]) -> str:
    """What got better and worse since the old report."""
    old = comparison["old"]
    parts = [
        f"<h2>Changes</h2><p>Compared with the report of {e(old.get('created'))} "
        f"(commit {e(old.get('commit') or '?')}).</p>"
    ]
    for run in comparison["runs"]:
        parts.append(
            f"<h3>{e(run['section'])} / {e(run['run'])}: {len(run['better'])} better, "
            f"{len(run['worse'])} worse</h3>"
        )
        rows = changed_figures(run)
        if rows:
            parts.append(_table(["group", "metric", "old", "new", "change"], rows))
        items = [
            f'<li class="{"rel" if title == "better" else "irrel"}">{title}: <b>{e(c["id"])}</b> '
            f"{e(c['question'])} — {e(c['old'])} → {e(c['new'])}</li>"
            for title, changes in (("better", run["better"]), ("worse", run["worse"]))
            for c in changes
        ]
        if items:
            parts.append(f"<ul>{''.join(items)}</ul>")
    return "".join(parts)


def render_html(report: dict[str, Any]) -> str:
    """The whole report as one HTML page."""
    meta = "".join(
        f"<li><b>{e(label)}:</b> {e(report[key])}</li>"
        for key, label in REPORT_FIELDS
        if report.get(key) is not None
    )
    body = [f"<h1>Footnote evaluation</h1><ul>{meta}</ul>"]
    body += [_section(s) for s in report["sections"]]
    if report.get("comparison"):
        body.append(comparison_html(report["comparison"]))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Footnote evaluation</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
