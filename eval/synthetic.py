"""Synthetic archives for the benchmark: variants of a seed article, not identical copies.

Each variant keeps the seed's shape (headline, sections, paragraph lengths) so build and
search costs grow as a real archive's would, but its people, places and figures are
swapped and the sentences of each paragraph are shuffled, so no two articles are the
same text, no two chunks share a vector, and BM25's statistics differ from article to article.

>>> files = write_corpus(Path("/tmp/archive"), Path("seeds/trump-asia-tour-south-korea.txt"), 10)
>>> len(files)
10
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from index.documents import parse_document
from index.sentences import split_sentences

PEOPLE = [
    "Amara Okafor", "Lars Lindqvist", "Mei Tanaka", "Rafael Moreno", "Ingrid Halvorsen",
    "Tomasz Nowak", "Aisha Rahman", "Kofi Mensah", "Elena Petrova", "Diego Alvarez",
    "Hana Kim", "Omar Haddad", "Priya Nair", "Jonas Weber", "Lucia Romano", "Nikos Pappas",
]  # fmt: skip
PLACES = [
    "Norway", "Chile", "Kenya", "Vietnam", "Portugal", "Canada", "Egypt", "Peru",
    "Finland", "Ghana", "Malaysia", "Poland", "Morocco", "Ireland", "Colombia", "Greece",
]  # fmt: skip
CITIES = [
    "Bergen", "Valparaiso", "Mombasa", "Hue", "Porto", "Halifax", "Luxor", "Cusco",
    "Turku", "Kumasi", "Penang", "Gdansk", "Fez", "Galway", "Cartagena", "Patras",
]  # fmt: skip
# What the seed is about, longest first so "South Korea" is swapped before "Korea".
SEED_PEOPLE = [
    "Donald Trump", "Lee Jae Myung", "Sanae Takaichi", "Howard Lutnick", "Scott Bessent",
    "Xi Jinping", "Kim Jong Un", "Oh Hyunjoo", "Trump", "Lee", "Takaichi", "Lutnick",
    "Bessent", "Xi", "Kim",
]  # fmt: skip
SEED_PLACES = ["South Korea", "North Korea", "Japan", "China", "Korea"]
SEED_CITIES = ["Gyeongju", "Seoul", "Tokyo", "Beijing", "Pyongyang", "Washington"]
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


def _swap(text: str, names: list[str], pool: list[str], rng: random.Random) -> str:
    """Replace each seed name by one drawn for this variant (the same one throughout it)."""
    chosen = rng.sample(pool, k=min(len(pool), len(names)))
    table = {}
    for name, new in zip(names, chosen, strict=False):
        # A surname alone follows its full name ("Trump" after "Donald Trump").
        full = next((n for n in names if n != name and n.endswith(" " + name)), None)
        table[name] = table[full].split()[-1] if full in table else new
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return pattern.sub(lambda m: table[m.group(1)], text)


def _figures(text: str, rng: random.Random) -> str:
    """Change every figure by up to half, keeping its digits' shape (years stay years)."""

    def change(match: re.Match[str]) -> str:
        value = match.group(0)
        if len(value) == 4 and value.startswith(("19", "20")):
            return value
        number = float(value) * rng.uniform(0.5, 1.5)
        if "." in value:
            changed = f"{number:.1f}"
            return changed if changed != value else f"{number + 0.1:.1f}"
        return str(max(1, round(number)) + (round(number) == int(value)))

    return _NUMBER.sub(change, text)


def _shuffled(paragraph: str, rng: random.Random) -> str:
    """The paragraph's sentences in another order (a subheading is left as it is)."""
    sentences = [s.text for s in split_sentences(parse_document("p", "-\n\n" + paragraph))]
    if len(sentences) < 2:
        return paragraph
    rng.shuffle(sentences)
    return " ".join(sentences)


def variant(seed_text: str, n: int) -> str:
    """The n-th variant of a seed article (0 is the seed itself)."""
    if n == 0:
        return seed_text
    rng = random.Random(n)
    headline, *lines = [line.strip() for line in seed_text.strip().splitlines()]
    body = [_shuffled(line, rng) for line in lines if line]
    text = f"{headline} (report {n})\n\n" + "\n\n".join(body) + "\n"
    text = _swap(text, SEED_PEOPLE, PEOPLE, rng)
    text = _swap(text, SEED_PLACES, PLACES, rng)
    text = _swap(text, SEED_CITIES, CITIES, rng)
    return _figures(text, rng)


def write_corpus(folder: Path, seed: Path, count: int) -> list[Path]:
    """`count` article files in `folder`: the seed itself, then `count - 1` variants of it."""
    folder.mkdir(parents=True, exist_ok=True)
    seed_text = seed.read_text(encoding="utf-8")
    files = []
    for n in range(count):
        path = folder / (seed.name if n == 0 else f"{seed.stem}-variant-{n:04d}{seed.suffix}")
        if not path.exists():
            path.write_text(variant(seed_text, n), encoding="utf-8")
        files.append(path)
    return files
