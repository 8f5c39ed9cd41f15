"""Loaded by pytest with `-p` (pyproject.toml) before Django's settings are read: tests talk plain HTTP
to the test client (no HTTPS redirect) and read static files from the source folders (no manifest, so no
collectstatic before a test run). The smoke test runs the real server with production settings."""

import os

os.environ.setdefault("SERVE_HTTPS", "0")
os.environ.setdefault("PLAIN_STATIC", "1")
