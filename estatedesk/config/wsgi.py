"""WSGI entry point (gunicorn estatedesk.config.wsgi:application).

Each worker warms up before its first request: every view module imported (the URL patterns), both
translation catalogues read and every template compiled. Without that, a worker's first page took up to
a second (bench/RESULTS.md). Then the garbage collector is told to leave alone what every request shares:
the start-up objects at once, and what the first requests filled (caches) after 50 requests. Without that,
its full collections walk those objects again and again, about a third of a list page's time."""

import gc
import os
from pathlib import Path
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "estatedesk.config.settings")

FREEZE_AFTER_REQUESTS = 50


def warm_up() -> int:
    """Load what every worker's first requests would otherwise load one by one; the number of templates."""
    from django.conf import settings
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Customer feedback")
    ours, compiled = Path(settings.BASE_DIR), 0
    for engine in engines.all():
        for directory in map(Path, engine.template_dirs):
            if not directory.is_relative_to(ours):
                continue  # the admin's and the API browser's templates load when someone opens them
            for path in sorted(directory.rglob("*.html")):
                try:
                    get_template(str(path.relative_to(directory)))
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    continue
                compiled += 1
    return compiled


class _FreezeWhenWarm:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    def __call__(self, environ: Any, start_response: Any) -> Any:
        response = self.app(environ, start_response)
        if self.requests < FREEZE_AFTER_REQUESTS:
            self.requests += 1
            if self.requests == FREEZE_AFTER_REQUESTS:
                gc.freeze()  # no collect first: that would stall this request for a full collection
        return response


django_application = get_wsgi_application()
warm_up()
gc.collect()
gc.freeze()
application = _FreezeWhenWarm(django_application)
