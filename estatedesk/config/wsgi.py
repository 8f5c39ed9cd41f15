"""WSGI entry point (gunicorn estatedesk.config.wsgi:application).

The garbage collector is told to leave alone what every request shares: the modules, settings and URL
patterns loaded at start-up, then the templates and caches filled by the first requests. Without that,
its full collections walk those objects again and again, about a third of a list page's time
(measured in bench/RESULTS.md)."""

import gc
import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")

FREEZE_AFTER_REQUESTS = 50


class _FreezeWhenWarm:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    def __call__(self, environ: Any, start_response: Any) -> Any:
        response = self.app(environ, start_response)
        if self.requests < FREEZE_AFTER_REQUESTS:
            self.requests += 1
            if self.requests == FREEZE_AFTER_REQUESTS:
                gc.freeze()  # no collect first: a full collection here stalled one request by ~1 s
        return response


django_application = get_wsgi_application()
gc.collect()
gc.freeze()
application = _FreezeWhenWarm(django_application)
