"""Reports from hand-made runs: files written, HTML self-contained and escaped, comparisons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.compare import compare, comparison_lines
from eval.dataset import QAItem
from eval.markdown import render_markdown
from eval.metrics import Observation, score
from eval.page import render_html
from eval.report import Section, build_report, failure_lines, load_report, write_reports
from eval.runner import Record, Run

SENTENCE = "Trump wants Seoul to pump $350 billion into the U.S. economy."
OTHER = "Gyeongju is a UNESCO World Heritage site."
ITEMS = [
    QAItem(
        "a1",
        "How much does Trump want?",
        "$350 billion",
        ("pump $350 billion",),
        split="test",
        kind="fact",
    ),
    QAItem(
        "a2",
        "Is Gyeongju on a heritage list?",
        "yes",
        ("UNESCO World Heritage",),
        split="dev",
        kind="fact",
    ),
    QAItem(
        "u1",
        "<script>alert('x')</script> & what did Japan pledge?",
        None,
        (),
        split="test",
        kind="unanswerable",
    ),
]
RIGHT = {
    "a1": Observation(True, f"{SENTENCE} [1]", (SENTENCE,), (SENTENCE,), 12.0),
    "a2": Observation(True, f"{OTHER} [1]", (OTHER,), (OTHER,), 15.0),
    "u1": Observation(False, "The article doesn't say.", (), (OTHER,), 9.0, None, (OTHER,)),
}
WRONG = {
    "a1": Observation(True, f"{OTHER} [1]", (OTHER,), (OTHER, SENTENCE), 30.0),
    "a2": Observation(False, "The article doesn't say.", (), (SENTENCE,), 20.0),
    "u1": Observation(True, f"<b>{SENTENCE}</b> [1]", (f"<b>{SENTENCE}</b>",), (SENTENCE,), 8.0),
}


def make_run(name: str, outcomes: dict[str, Observation], kind: str = "answerer") -> Run:
    run = Run(name, kind, "in-process")
    run.records = [Record(i, outcomes[i.id], score(i, outcomes[i.id], k=6)) for i in ITEMS]
    return run


def make_report(outcomes: dict[str, Observation]) -> dict:
    runs = [make_run("hybrid", outcomes), make_run("bm25-top1", WRONG, kind="baseline")]
    squad = Section(
        "squad", "SQuAD 2.0", [make_run("hybrid", outcomes)], 6, {"attribution": "CC BY-SA 4.0"}
    )
    return build_report(
        [Section("article", "Our articles", runs, 6), squad],
        {"command": "footnote eval", "split": "all"},
    )


def test_report_files_are_written_and_json_round_trips(tmp_path: Path) -> None:
    report = make_report(RIGHT)
    paths = write_reports(report, tmp_path / "reports", stem="run")
    assert [p.name for p in paths] == ["run.json", "run.md", "run.html"]
    assert all(p.stat().st_size > 0 for p in paths)
    loaded = load_report(paths[0])
    hybrid = loaded["sections"][0]["runs"][0]
    assert hybrid["summary"]["all"]["hit_at_1"] == {"value": 1.0, "count": 2, "n": 2}
    assert hybrid["summary"]["splits"]["test"]["abstention_recall"]["n"] == 1
    assert hybrid["questions"][0]["cited"] == [{"text": SENTENCE, "relevant": True}]
    assert loaded["sections"][1]["attribution"] == "CC BY-SA 4.0"


def test_html_is_self_contained_and_escaped() -> None:
    page = render_html(make_report(WRONG))
    assert not re.search(r"https?://", page), "the page must not fetch anything"
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; what did Japan pledge?" in page
    assert "&lt;b&gt;Trump wants" in page and "<b>Trump wants" not in page
    assert "<svg" in page and "default-src 'none'" in page
    assert 'class="bad"' in page  # misses are coloured


def test_markdown_has_counts_and_escapes() -> None:
    text = render_markdown(make_report(RIGHT))
    assert "| hit@1 | 100.0% (2/2) | 0.0% (0/2) |" in text
    assert "bm25-top1 (baseline)" in text
    failures = render_markdown(make_report(WRONG))  # lists u1, whose question holds markup
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in failures and "<script>" not in failures
    assert "### Test split (held out: never tuned on)" in text and "*CC BY-SA 4.0*" in text


def test_failure_lines_say_what_was_cited_and_expected() -> None:
    report = make_report(WRONG)
    lines = failure_lines(report["sections"][0]["runs"][0])
    assert len(lines) == 3
    assert lines[0].startswith("a1 [miss] 'How much does Trump want?' — cited: Gyeongju")
    assert lines[0].endswith("expected: pump $350 billion")
    assert "abstained" in lines[1] and lines[2].endswith("expected: an abstention")


def test_compare_lists_better_and_worse(tmp_path: Path) -> None:
    old = make_report(RIGHT)
    mixed = dict(RIGHT, a1=WRONG["a1"], u1=RIGHT["u1"], a2=RIGHT["a2"])
    new = make_report(mixed)
    result = compare(old, new)
    hybrid = next(r for r in result["runs"] if (r["section"], r["run"]) == ("article", "hybrid"))
    assert [c["id"] for c in hybrid["worse"]] == ["a1"] and hybrid["better"] == []
    assert hybrid["worse"][0]["old"] == "hit@1" and hybrid["worse"][0]["new"] == "miss"
    hit1 = next(f for f in hybrid["figures"] if (f["group"], f["metric"]) == ("all", "hit_at_1"))
    assert hit1["delta"] == pytest.approx(-0.5)
    back = compare(new, old)
    assert [c["id"] for c in next(r for r in back["runs"] if r["run"] == "hybrid")["better"]] == [
        "a1"
    ]
    assert any("worse: a1" in line for line in comparison_lines(result))
    new["comparison"] = result
    assert "- Worse: `a1` How much does Trump want? — hit@1 → miss" in render_markdown(new)
    assert "worse: <b>a1</b>" in render_html(new)


def test_compare_skips_runs_missing_from_the_old_report() -> None:
    old = make_report(RIGHT)
    old["sections"] = old["sections"][:1]
    old["sections"][0]["runs"] = old["sections"][0]["runs"][:1]
    result = compare(old, make_report(WRONG))
    assert [(r["section"], r["run"]) for r in result["runs"]] == [("article", "hybrid")]


def test_load_report_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not a report"):
        load_report(path)


def test_figures_per_article_when_the_questions_ask_about_several() -> None:
    bridge = "The repair will cost $41 million."
    items = [
        QAItem("a1", "How much?", "$350 billion", ("pump $350 billion",), "trump", split="dev"),
        QAItem("u1", "Who won?", None, (), "trump", split="test"),
        QAItem(
            "b1", "What will it cost?", "$41 million", ("cost $41 million",), "bridge", split="test"
        ),
        QAItem("b2", "Who builds it?", None, (), "bridge", split="test"),
    ]
    seen = {
        "a1": Observation(True, SENTENCE, (SENTENCE,)),
        "u1": Observation(False, "The article doesn't say."),
        "b1": Observation(True, OTHER, (OTHER,)),
        "b2": Observation(True, bridge, (bridge,)),
    }
    run = Run("hybrid", "answerer", "in-process")
    run.records = [Record(i, seen[i.id], score(i, seen[i.id], k=6)) for i in items]
    report = build_report([Section("article", "Our articles", [run], 6)], {"split": "all"})
    summary = report["sections"][0]["runs"][0]["summary"]
    assert summary["articles"]["trump"]["hit_at_1"] == {"value": 1.0, "count": 1, "n": 1}
    assert summary["articles"]["bridge"]["abstention_recall"] == {"value": 0.0, "count": 0, "n": 1}
    text = render_markdown(report)
    assert "### By article (hybrid)" in text
    assert (
        "| trump | dev+test | 2 | 100.0% (1/1) | 100.0% (1/1) | 100.0% (1/1) | 100.0% (1/1) "
        "| 0.0% (0/1) |" in text
    )
    assert (
        "| bridge | test | 2 | 0.0% (0/1) | 0.0% (0/1) | n/a (n=0) | 0.0% (0/1) | 0.0% (0/1) |"
        in text
    )
    assert "<h3>By article (hybrid)</h3>" in render_html(report)
    one = build_report([Section("article", "One", [make_run("hybrid", RIGHT)], 6)], {})
    assert "By article" not in render_markdown(one)
