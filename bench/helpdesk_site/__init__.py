"""A minimal Django site that serves django-helpdesk 2.6.1 for the benchmark (runs in the peer venv only)."""
