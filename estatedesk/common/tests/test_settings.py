"""Deployment settings: production passes Django's deploy checks; SQLite runs in WAL mode."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
READERS = {"get", "getenv", "env_bool", "env_list"}  # os.environ.get, os.getenv and the settings' helpers


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-" + "x" * 20,
        "ALLOWED_HOSTS": "estatedesk.example.com",
        "EMAIL_HOST": "smtp.example.com",
        "ESTATEDESK_DATA_DIR": str(tmp_path),
    }
    env.pop("SERVE_HTTPS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_database_is_postgresql_or_sqlite_in_wal_mode_with_immediate_transactions():
    if connection.vendor == "postgresql":  # the DATABASE_URL run
        assert os.environ["DATABASE_URL"].startswith("postgres")
        return
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_time_zone_and_languages(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def _environment_variables_read(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if function in READERS and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    return names


def test_every_environment_variable_of_the_settings_is_documented():
    read = _environment_variables_read(ROOT / "estatedesk" / "config" / "settings.py")
    documented = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST"} <= read
    assert sorted(name for name in read if f"`{name}`" not in documented) == []
