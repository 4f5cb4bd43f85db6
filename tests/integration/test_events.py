"""events/: one sample event per function, shaped as its trigger sends it (`sam local invoke -e`, the local cloud).

Each is invoked on the local cloud with the sample data loaded: the event is accepted, and the handler understands its
shape (a failure, if any, is the domain's answer to a sample id that does not exist, never a missing field).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.build import deployed_functions
from local.cloud import PROJECT_ROOT, LocalCloud

EVENTS = PROJECT_ROOT / "events"
FUNCTIONS = {f.logical_id: f for f in deployed_functions(PROJECT_ROOT / "template.yaml")}
SHAPE_ERRORS = {"KeyError", "TypeError", "AttributeError", "JSONDecodeError", "ValidationError", "IndexError"}


def event_file(logical_id: str) -> Path:
    """events/<CodeUri folder>.json: the name sam local invoke users look for next to functions/<folder>."""
    return EVENTS / f"{FUNCTIONS[logical_id].code_dir.name}.json"


def test_every_function_has_one_event_and_every_event_a_function() -> None:
    expected = {event_file(logical_id).name for logical_id in FUNCTIONS}
    assert {p.name for p in EVENTS.glob("*.json")} == expected


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    out = tmp_path_factory.mktemp("events")
    with LocalCloud(
        project_root=PROJECT_ROOT, out_dir=out, api_port=0, aws_port=0, parameters={"LogLevel": "ERROR"}
    ) as running:
        yield running


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_sample_event_is_accepted_and_understood(cloud: LocalCloud, logical_id: str) -> None:
    # Given the function's sample event
    payload = event_file(logical_id).read_bytes()
    # When the local cloud invokes the function with it
    reply = cloud.client("lambda").invoke(FunctionName=cloud.outputs["functions"][logical_id], Payload=payload)
    answer = json.load(reply["Payload"])
    # Then Lambda accepted it, and the handler did not trip over the event's shape
    assert reply["StatusCode"] == 200
    if reply.get("FunctionError"):
        assert answer["errorType"] not in SHAPE_ERRORS, answer
    if logical_id in ("AuthorizerFunction", "IntakeApiFunction"):  # the sample buyer's key and context: all the way
        assert "FunctionError" not in reply, answer
        assert answer.get("statusCode", 200) == 200 and answer.get("principalId", "buyer-fairloom") == "buyer-fairloom"
