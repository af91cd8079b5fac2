"""schemathesis against the app's own OpenAPI document (issue 15): generated requests to every
operation, anonymous and as the county administrator's device; no answer is a server error,
and every status code is one the document declares for the operation."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis

from service_center.auth.services import issue_api_token
from service_center.clock import now_utc
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

EXAMPLES = 12  #: generated requests per operation and caller


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {**NO_LIMITS, "LOG_REQUESTS": False}


def fuzz(app: Any, headers: dict[str, str]) -> tuple[int, dict[str, list[Any]]]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    findings: dict[str, list[Any]] = {}
    sent = [0]

    def runner_for(operation: Any) -> Any:
        declared = set(operation.definition.raw["responses"])

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(operation.as_strategy())
        def run(case: Any) -> None:
            sent[0] += 1
            status = case.call(headers=headers).status_code
            if status >= 500 or str(status) not in declared:
                key = f"{operation.method.upper()} {operation.path} {status}"
                findings.setdefault(key, []).append(
                    (case.path_parameters, case.query, str(case.body)[:120])
                )

        return run

    for result in schema.get_all_operations():
        runner_for(result.ok())()
    return sent[0], findings


def test_anonymous_callers_meet_no_server_error_and_no_undocumented_code(app, world):
    sent, findings = fuzz(app, {})
    assert sent > 300
    assert findings == {}


def test_the_administrators_device_meets_no_server_error_and_no_undocumented_code(app, world):
    token = issue_api_token(world.users.admin, "fuzz", now=now_utc())
    db.session.commit()
    sent, findings = fuzz(app, {"Authorization": f"Bearer {token}"})
    assert sent > 300
    assert findings == {}
