"""all-mpnet-base-v2 end to end: an index built with it, questions answered with it, the bench.

Minutes on 2 cores, so marked `mpnet` and deselected by default: `make test-mpnet` runs them
(`pytest -m mpnet`). They use the assembled model cache and the trained mpnet scorer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote.cli import main
from index.models import MPNET
from index.store import load_index
from tests.test_cli import EVIDENCE, QUESTION, environment, run

pytestmark = [pytest.mark.mpnet, pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def mpnet_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mpnet") / "index"
    built = run(["build"], environment(folder, FOOTNOTE_MODEL="mpnet"))
    assert built.returncode == 0, built.stderr
    return folder


def test_the_index_is_built_with_mpnet_and_its_onnx_encoder(mpnet_index: Path):
    index = load_index(mpnet_index)
    assert index.manifest["model"] == {"name": MPNET.name, "dimension": MPNET.dimension}
    assert (mpnet_index / "current" / "encoder.onnx").is_file()


def test_a_question_is_answered_with_mpnet(mpnet_index: Path):
    asked = run(["ask", "--json", QUESTION], environment(mpnet_index, FOOTNOTE_MODEL="mpnet"))
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["retrieval"] == "hybrid"
    assert answer["answered"] is True
    assert EVIDENCE in answer["citations"][0]["text"]


def test_minilm_setting_on_an_mpnet_index_rebuilds_it(mpnet_index: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(mpnet_index, copy, symlinks=True)
    asked = run(["ask", "--json", QUESTION], environment(copy, FOOTNOTE_MODEL="minilm"))
    assert asked.returncode == 0, asked.stderr
    assert load_index(copy).manifest["model"]["name"].endswith("all-MiniLM-L6-v2")


def test_bench_measures_both_encoders_side_by_side(tmp_path: Path):
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "--models", "minilm,mpnet",
            "--sections", "models",
            "--questions", "6",
            "--requests", "32",
            "--work", str(tmp_path / "work"),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    models = json.loads(out.read_text())["sections"]["models"]["models"]
    assert set(models) == {"minilm", "mpnet"}
    for run_ in models.values():
        assert run_["answer"]["questions"] == 6 and run_["answer"]["errors"] == 0
        assert run_["http"]["c32"]["errors"] == 0
        floor = run_["encoder_floor_ms"]
        assert 0 < floor["median"] <= floor["p95"]
    # The larger encoder costs more to encode a question than the small one.
    assert (
        models["mpnet"]["encoder_floor_ms"]["median"]
        > models["minilm"]["encoder_floor_ms"]["median"]
    )
