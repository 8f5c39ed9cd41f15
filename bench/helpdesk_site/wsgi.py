"""WSGI entry point for gunicorn: helpdesk_site.wsgi:application (with bench/ on PYTHONPATH)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")
application = get_wsgi_application()
