"""The settings as mypy's django-stubs plugin loads them (pyproject.toml): the real settings module with a
throwaway key, since with DEBUG off it refuses to load without one. Nothing serves with this module."""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))

from estatedesk.config.settings import *  # noqa: E402, F403
