"""Schemathesis against /openapi.json of a real server, with every check: the document is the truth.

The same run as `schemathesis run URL --checks all --max-examples N`, driven in-process
through schemathesis's engine (its pytest plugin's lazy fixture loading does not run on
this pytest), so all its phases run: the document's examples, the coverage phase's
boundary values (an empty question, `"stream": 0`, a missing role), fuzzing and stateful
sequences. Every check is on: no 5xx, every status, header, content type and body as
documented, every schema-valid request accepted and every schema-violating one refused.

Bounded by the number of examples per operation (and a fixed seed), not by a time budget:
a time budget makes fuzzing repeat until it is spent.
"""

from __future__ import annotations

import tomllib

import pytest
import schemathesis
from schemathesis import engine
from schemathesis.engine import Status, events

from tests.conftest import ROOT

pytestmark = [pytest.mark.http, pytest.mark.model, pytest.mark.slow]

EXAMPLES = 30
SEED = 14

PROJECT_CONFIG = ROOT / "schemathesis.toml"
"""What the project tells schemathesis (also read by `schemathesis run` from the root)."""

CORE_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "unsupported_method",
}
"""Checks that must have run on some response (others apply only to auth or DELETE routes)."""


def run_schemathesis(url: str) -> tuple[int, set[str], set[str], list[str]]:
    """Every phase and check against `url`: (cases, operations, checks run, failures)."""
    project = tomllib.loads(PROJECT_CONFIG.read_text())
    bounds = {"seed": SEED, "workers": 1, "generation": {"max-examples": EXAMPLES}}
    judged = {**project.get("checks", {}), "enabled": True}  # --checks all
    config = schemathesis.Config.from_dict({**project, **bounds, "checks": judged})
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)
    cases, operations, checks, failures = 0, set(), set(), []
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, nodes in event.recorder.checks.items():
                case = event.recorder.cases.get(case_id)
                if case is not None:
                    operations.add(case.value.operation.label)
                for node in nodes:
                    checks.add(node.name)
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures.append(
                            f"{failure.operation} {failure.code} {failure.title}\n"
                            f"{failure.message}\n{node.failure_info.code_sample[:1500]}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.info.format()[:1500]}")
        elif isinstance(event, events.FatalError):
            failures.append(f"schemathesis stopped: {event.exception!r}")
    return cases, operations, checks, list(dict.fromkeys(failures))


@pytest.mark.timeout(300)
def test_every_check_passes_against_the_document(api_server):
    cases, operations, checks, failures = run_schemathesis(api_server.url)
    print(
        f"schemathesis: {cases} cases over {len(operations)} operations; checks: {sorted(checks)}"
    )
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures[:10])
    assert len(operations) >= 9, operations
    assert checks >= CORE_CHECKS, CORE_CHECKS - checks
