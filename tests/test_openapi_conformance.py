"""The OpenAPI document and the server agree both ways. Schemathesis reads the document a real
`sandhan serve` publishes, sends it requests the document allows and requests it forbids, and checks every
answer: never a 5xx; only documented status codes, content types and headers; bodies that fit the
response schemas; a forbidden value refused with 400; an allowed one accepted, unless the document
names the refusal (a day that does not exist, `from` after `to`); 405 with `Allow`. Derandomized
and bounded (a few hundred requests in all), so every run sends the same requests."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from web.openapi import openapi_document

# 400 codes for requests the schema cannot tell from good ones; the document names each.
DOCUMENTED_REFUSALS = {"no_such_day", "bad_range"}
EXAMPLES_PER_OPERATION = 60  # fuzzing; the coverage phase adds its own fixed cases


# The document the server publishes (the first test checks), loaded when the tests are collected;
# the requests go to the live server.
schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


def test_the_served_document_is_the_one_tested(live_server):
    assert live_server.get("/openapi.json").json() == openapi_document()


def valid_requests_are_accepted(ctx, response, case) -> None:
    """A request the document allows is answered, or refused with a reason the document gives."""
    if not case.meta or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    code = response.json()["error"]["code"]
    assert code in DOCUMENTED_REFUSALS, f"a request the document allows was refused: {response.text[:300]}"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    allow_header_conformance,
    valid_requests_are_accepted,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_server_does_what_its_openapi_document_says(case, live_server):
    case.call_and_validate(base_url=live_server.url, checks=CHECKS, timeout=10)
