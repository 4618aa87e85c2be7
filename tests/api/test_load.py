"""A bounded load test against a real server on 127.0.0.1: no errors, no mixed-up answers.

First every question (and two-turn conversation) is asked one at a time; then the same
work is sent REQUESTS times over at CONCURRENCY, and every answer must equal the one given
alone. It stops by itself: a fixed number of requests, each with a timeout, under an
overall deadline.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.api.conftest import EVIDENCE, FOLLOW_UP, QUESTION

pytestmark = [pytest.mark.http, pytest.mark.model, pytest.mark.slow]

REQUESTS = 2000
CONCURRENCY = 32
DEADLINE_SECONDS = 100.0

SINGLE = [
    "How much did Trump want South Korea to invest?",
    "Where did Trump and Lee meet?",
    "What gifts did Lee give Trump?",
    "How much did Japan pledge?",
    "What is the capital of France?",
    "Who is the Prime Minister of Japan?",
    "What did Korean officials argue?",
    "Why are the trade talks stalled?",
]
CONVERSATIONS = [
    (QUESTION, FOLLOW_UP),
    ("How much did Trump want South Korea to invest?", "Why does Seoul resist it?"),
    ("Who is the Prime Minister of Japan?", "What did she do with Trump?"),
]


def _key(answer: dict) -> tuple:
    """What must not change between runs: the text and what it cites (not the conversation id)."""
    return (
        answer["answer"],
        answer["answered"],
        answer["retrieval"],
        tuple((c["doc_id"], c["sentence_id"], c["score"]) for c in answer["citations"]),
    )


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


async def _post(client: httpx.AsyncClient, tally: Tally, payload: dict) -> dict | None:
    start = time.perf_counter()
    try:
        response = await client.post("/chat", json=payload)
    except httpx.HTTPError as exc:
        cause = exc.__cause__ or exc.__context__
        tally.errors.append(
            f"{payload['question']!r} after {time.perf_counter() - start:.2f} s: "
            f"{type(exc).__name__} {exc} ({cause!r})"
        )
        return None
    finally:
        tally.latencies.append(time.perf_counter() - start)
    if response.status_code != 200:
        tally.errors.append(
            f"{payload['question']!r}: {response.status_code} {response.text[:200]}"
        )
        return None
    return response.json()


def _jobs() -> list[tuple[str, ...]]:
    """Single questions and two-turn conversations, adding up to exactly REQUESTS requests."""
    work: list[tuple[str, ...]] = []
    count = 0
    i = 0
    while count < REQUESTS:
        if i % 3 == 2 and count + 2 <= REQUESTS:
            job: tuple[str, ...] = CONVERSATIONS[(i // 3) % len(CONVERSATIONS)]
        else:
            job = (SINGLE[i % len(SINGLE)],)
        work.append(job)
        count += len(job)
        i += 1
    return work


async def _run(url: str, expected: dict[tuple[str, ...], list[tuple]]) -> tuple[Tally, float]:
    tally = Tally()
    queue: asyncio.Queue[tuple[str, ...]] = asyncio.Queue()
    for job in _jobs():
        queue.put_nowait(job)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            job = queue.get_nowait()
            conversation_id = None
            for turn, question in enumerate(job):
                payload: dict = {"question": question}
                if conversation_id:
                    payload["conversation_id"] = conversation_id
                answer = await _post(client, tally, payload)
                if answer is None:
                    break
                if conversation_id and answer["conversation_id"] != conversation_id:
                    tally.mismatches.append(f"{job}: conversation id changed")
                conversation_id = answer["conversation_id"]
                if _key(answer) != expected[job][turn]:
                    tally.mismatches.append(f"{job} turn {turn}: {answer['answer'][:80]!r}")

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker(client) for _ in range(CONCURRENCY))), DEADLINE_SECONDS
        )
        return tally, time.perf_counter() - start


def _one_at_a_time(url: str) -> dict[tuple[str, ...], list[tuple]]:
    expected: dict[tuple[str, ...], list[tuple]] = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for job in [(q,) for q in SINGLE] + CONVERSATIONS:
            answers, conversation_id = [], None
            for question in job:
                payload = {"question": question, "conversation_id": conversation_id}
                answer = client.post("/chat", json=payload).raise_for_status().json()
                conversation_id = answer["conversation_id"]
                answers.append(answer)
            expected[job] = [_key(a) for a in answers]
    follow_up = expected[(QUESTION, FOLLOW_UP)][1]
    assert any(EVIDENCE in text for text in _texts(url, (QUESTION, FOLLOW_UP))), follow_up
    return expected


def _texts(url: str, conversation: tuple[str, str]) -> list[str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        first = client.post("/chat", json={"question": conversation[0]}).json()
        second = client.post(
            "/chat",
            json={"question": conversation[1], "conversation_id": first["conversation_id"]},
        ).json()
    return [c["text"] for c in second["citations"]]


def _percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


@pytest.mark.timeout(180)
def test_concurrent_answers_equal_answers_one_at_a_time(api_server):
    expected = _one_at_a_time(api_server.url)
    tally, elapsed = asyncio.run(_run(api_server.url, expected))
    ms = [s * 1000 for s in tally.latencies]
    print(
        f"\nload: {len(ms)} requests at concurrency {CONCURRENCY} in {elapsed:.1f} s = "
        f"{len(ms) / elapsed:.0f} req/s; latency p50 {_percentile(ms, 50):.1f} ms, "
        f"p95 {_percentile(ms, 95):.1f} ms, p99 {_percentile(ms, 99):.1f} ms; "
        f"{len(tally.errors)} errors, {len(tally.mismatches)} mismatches"
    )
    assert not tally.errors, tally.errors[:5]
    assert len(ms) == REQUESTS
    assert not tally.mismatches, tally.mismatches[:5]
