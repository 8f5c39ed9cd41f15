"""The demo seeded once for this package: seeding walks some 240 items through the services, the visits,
nonconformities, surveys, reports to HQ and last month's packs (half a minute), so every test of the
demo's data (this package: the feedback, visits, quality, reporting, analytics and notification seeding)
reads the same seeded data. The seed runs inside a transaction rolled back after the package's last test;
each test's own changes are rolled back by its `db` savepoint.

The package's tests run on one worker (the root conftest.py's scheduler for `--dist loadgroup`, the
Makefile's), so the demo is seeded once per run instead of once per worker and module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from estatedesk.demo.seeding import seed_demo


@pytest.fixture(scope="package")
def demo_seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    # the tests' fast hasher (estatedesk/conftest.py sets it per test), so the demo passwords check; the
    # seeded files (reporting's statements, the newsletter PDF, survey reports, the packs) in a folder of
    # their own
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
    )
    with fast, django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo()
        transaction.set_rollback(True)
