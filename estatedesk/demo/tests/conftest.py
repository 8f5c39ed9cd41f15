"""The demo seeded once per test module: seeding walks some 240 items through the services (about 15 s),
so each test of a module reads the same seeded data. The seed runs inside a transaction rolled back after
the module's last test; each test's own changes are rolled back by its `db` savepoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from estatedesk.demo.seeding import seed_demo


@pytest.fixture(scope="module")
def demo_seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    # the tests' fast hasher (estatedesk/conftest.py sets it per test), so the demo passwords check; the
    # seeded files (reporting's statements, the newsletter PDF, survey reports) in a folder of their own
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
    )
    with fast, django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo()
        transaction.set_rollback(True)
