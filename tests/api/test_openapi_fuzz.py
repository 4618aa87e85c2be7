"""Schemathesis against /openapi.json of a real server: no 5xx, every response as documented.

Driven from Python rather than schemathesis's pytest plugin (whose lazy fixture loading
does not run on this pytest). Bounded twice: a few examples per operation and mode, and
a time budget after which the remaining operations are not started.
"""

from __future__ import annotations

import time
import traceback

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = [pytest.mark.http, pytest.mark.model, pytest.mark.slow]

EXAMPLES = 12
BUDGET_SECONDS = 45.0


@pytest.mark.timeout(120)
def test_no_server_error_and_responses_match_the_schema(api_server):
    schema = schemathesis.openapi.from_url(f"{api_server.url}/openapi.json")
    deadline = time.monotonic() + BUDGET_SECONDS
    tested, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        # Invalid data needs something to make invalid: a body or a parameter.
        modes = [GenerationMode.POSITIVE]
        if operation.body or operation.path_parameters or operation.query:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            if time.monotonic() > deadline:
                break

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                if time.monotonic() > deadline:
                    return  # the budget is spent: let the remaining examples pass
                case.call_and_validate(
                    base_url=api_server.url,
                    checks=[not_a_server_error, response_schema_conformance],
                    timeout=30,
                )

            try:
                check()
            except Unsatisfiable:
                continue  # no invalid request exists for this operation
            except Exception as exc:  # a failing operation; report them all together
                failures.append(f"{operation.label} ({mode}): {_explain(exc)}")
            tested.append(f"{operation.label} ({mode})")
    print(f"schemathesis: {len(tested)} operation runs, {len(failures)} failing")
    assert len(tested) >= 8
    assert not failures, "\n\n".join(failures)


def _explain(exc: BaseException) -> str:
    """The failure with its sub-exceptions (Hypothesis wraps the real one)."""
    return "".join(traceback.format_exception(exc))[-3000:]
