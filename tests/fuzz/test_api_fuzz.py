"""A bounded, schema-driven fuzz run of the JSON API (issue 16, item 10b): schemathesis reads the project's
own OpenAPI schema (drf-spectacular's, the one /api/schema/ serves: a test checks they are the same) and
sends generated requests, valid and invalid, to every operation of the WSGI application, signed in as
project A's CS supervisor and as owner_a; the one check is that no answer is a server error (5xx).

Bounded and repeatable: the schema's examples, the coverage phase (the boundary and invalid values of each
parameter, deterministic and finite) and at most MAX_EXAMPLES random examples per operation, with a fixed
seed, deterministic generation, no example database and no stateful phase. Path parameters are either
generated or project A's real code, reference and resident id, so requests reach the views behind the 404s
as well. The deadline per example (DEADLINE) is generous: it only catches a request that hangs.

Run with `make fuzz` (marker `fuzz`, SQLite); `make test` leaves it out, CI runs it in its own step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from estatedesk.config.wsgi import application
from estatedesk.feedback.choices import Category, Channel, Kind
from estatedesk.feedback.intake.registration import ItemInput, feedback_item_register
from estatedesk.owners.models import Resident

pytestmark = pytest.mark.fuzz

SEED = 20261126
MAX_EXAMPLES = 25
DEADLINE = timedelta(seconds=10)
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
}
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=DEADLINE,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def project_schema() -> dict[str, Any]:
    """The OpenAPI document drf-spectacular generates for the project, as /api/schema/ serves it."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(project_schema(), config=schemathesis.Config.from_dict(CONFIG))
schema.app = application  # requests go to the WSGI application in this process, as `from_wsgi` does

# project A's real path parameters, set for each test by `real_objects`: {"code", "reference", "pk"}
REAL: dict[str, Any] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """The generated path parameters, or project A's real ones (the object behind the 404)."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {name: REAL.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([path_parameters, real])


@pytest.fixture
def real_objects(world: Any) -> Iterator[dict[str, Any]]:
    """Project A's code, an item of owner_a's (registered by agent_a) and owner_a's resident id."""
    resident = Resident.objects.get(user=world.owner_a)
    item = feedback_item_register(
        actor=world.agent_a,
        data=ItemInput(
            project=world.project_a,
            channel=Channel.HOTLINE,
            kind=Kind.REPAIR,
            category=Category.ENGINEERING,
            description="The door of entrance 1 does not close.",
            resident=resident,
            unit=world.unit_a,
        ),
    )
    REAL.update(code=world.project_a.code, reference=item.reference, pk=resident.pk, id=resident.pk)
    yield REAL
    REAL.clear()


@pytest.fixture
def wsgi(real_objects: Any) -> Iterator[None]:
    """The WSGI application closes the database connection after each request (Django's
    `close_old_connections`); the test's transaction lives on it, so it stays open here, as Django's own
    test client keeps it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token_header(user: Any) -> dict[str, str]:
    token, _created = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def test_sec_fuzz_uses_the_schema_the_api_serves(world, client):
    # given project A's CS supervisor, who may read the API's schema
    client.force_login(world.supervisor_a)
    # when they fetch it
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    # then it is the document the fuzz run generates from, with every operation in it
    assert served.status_code == 200
    assert json.loads(served.content)["paths"] == project_schema()["paths"]
    assert len(schema.raw_schema["paths"]) >= 10


@SETTINGS
@schema.parametrize()
def test_sec_fuzz_the_api_as_a_cs_supervisor_never_answers_a_server_error(case: Any, world: Any, wsgi: None):
    # given a generated request to one operation, signed in as project A's CS supervisor
    # when it is sent
    # then the answer is not a 5xx
    case.call_and_validate(headers=_token_header(world.supervisor_a), checks=[not_a_server_error])


@SETTINGS
@schema.parametrize()
def test_sec_fuzz_the_api_as_an_owner_never_answers_a_server_error(case: Any, world: Any, wsgi: None):
    # given a generated request to one operation, signed in as owner_a
    # when it is sent
    # then the answer is not a 5xx
    case.call_and_validate(headers=_token_header(world.owner_a), checks=[not_a_server_error])
