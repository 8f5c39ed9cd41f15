"""The fuzz tests use the shared personas of estatedesk/conftest.py."""

from estatedesk.conftest import _fast_password_hashing, world  # noqa: F401 - the shared personas
