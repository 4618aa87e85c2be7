"""`footnote eval` end to end on a tiny question file: reports written, failures listed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eval.dataset import load_questions
from eval.metrics import Observation, score
from eval.report import Section, build_report
from eval.runner import Record, Run

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DOC = "trump-asia-tour-south-korea"
QUESTIONS = [
    {
        "id": "a1",
        "question": "How much investment did Trump secure in Japan?",
        "answer": "nearly $500 billion",
        "evidence": ["secured nearly $500 billion in investment pledges"],
        "doc_id": DOC,
        "kind": "fact",
        "split": "test",
    },
    {
        "id": "u1",
        "question": "<script>alert(1)</script> Who won the 2022 World Cup?",
        "answer": None,
        "evidence": [],
        "doc_id": DOC,
        "kind": "unanswerable",
        "split": "test",
    },
    {
        "id": "f1",
        "question": "And how much did he want from Korea?",
        "answer": "$350 billion",
        "evidence": ["pump $350 billion into the U.S. economy"],
        "history": ["How much investment did Trump secure in Japan?"],
        "doc_id": DOC,
        "kind": "followup",
        "split": "dev",
    },
]


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n")
    return path


def old_report(qa_file: Path, path: Path) -> Path:
    """A report in which every question went wrong, so whatever is right now is 'better'."""
    run = Run("hybrid", "answerer", "in-process")
    for item in load_questions([qa_file]):
        wrong = (
            Observation(True, "x [1]", ("x",)) if not item.answerable else Observation(False, "no")
        )
        run.records.append(Record(item, wrong, score(item, wrong, k=6)))
    report = build_report([Section("article", "old", [run], 6)], {"commit": "old"})
    path.write_text(json.dumps(report))
    return path


@pytest.mark.model
@pytest.mark.slow
def test_cli_json_reports_and_comparison(tmp_path: Path, qa_file: Path, index_dir: Path) -> None:
    out = tmp_path / "reports"
    old = old_report(qa_file, tmp_path / "old.json")
    done = subprocess.run(
        [
            *(
                sys.executable,
                "-m",
                "footnote.cli",
                "eval",
                "--qa",
                str(qa_file),
                "--out",
                str(out),
            ),
            *("--json", "--retrieval", "all", "--compare", str(old)),
            *("--index", str(index_dir), "--source", str(SEEDS)),
        ],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    runs = report["sections"][0]["runs"]
    assert [r["name"] for r in runs] == ["hybrid", "bm25", "dense", "bm25-top1", "cosine-top1"]
    assert all(len(r["questions"]) == 3 for r in runs)
    assert runs[0]["summary"]["all"]["mrr"]["n"] == 2  # retrieval is visible in-process
    hybrid = runs[0]["questions"]
    right = sum(q["correct"] for q in hybrid)
    change = next(r for r in report["comparison"]["runs"] if r["run"] == "hybrid")
    assert len(change["better"]) == right and change["worse"] == []
    files = sorted(p.suffix for p in out.iterdir())
    assert files == [".html", ".json", ".md"]
    page = next(out.glob("*.html")).read_text()
    assert not re.search(r"https?://", page) and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "failures (hybrid" in done.stderr  # one line per failure follows
    wrong = [q for q in hybrid if not q["correct"]]
    assert all(q["id"] in done.stderr for q in wrong)


def test_cli_reports_a_bad_question_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from footnote.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(QUESTIONS[0]) + '\n{"id": "x", "question": "Q?"}\n')
    assert main(["eval", "--qa", str(bad), "--out", str(tmp_path)]) == 2
    assert f"{bad}:2: missing field(s) answer, evidence" in capsys.readouterr().err
