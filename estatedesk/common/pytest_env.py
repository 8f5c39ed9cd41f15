"""Loaded by pytest with `-p` (pyproject.toml) before Django's settings are read: tests talk plain HTTP
to the test client (no HTTPS redirect) and read static files from the source folders (no manifest, so no
collectstatic before a test run). The smoke test runs the real server with production settings, and with
this key (with DEBUG off the settings refuse to start without a real one)."""

import os

os.environ.setdefault("SERVE_HTTPS", "0")
os.environ.setdefault("PLAIN_STATIC", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-" + "estatedesk-test-secret-key-not-for-production-" * 2)
# encrypted fields (the complaint mailbox's password) need a key whenever DEBUG is off: a fixed test key
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "aXRAXBI-0n9HyA_OH9zv1V1MIBJPyn0mJBt5eq7_Ksc=")
