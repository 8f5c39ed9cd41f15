"""QR codes posted in buildings and common areas (R-CH-2): each one opens the feedback form with the
place filled in, `/f/<project code>/<building code>/`. The codes are public, so the URL carries no token.

Pure functions apart from `reverse`: the caller gives the site's base address (from the request).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import segno
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from estatedesk.org.models import Building


@dataclass(frozen=True)
class QrCard:
    building: Building
    url: str
    svg: SafeString


def qr_form_path(*, project_code: str, building_code: str) -> str:
    return reverse("feedback_portal:qr_form", args=[project_code, building_code])


def qr_form_url(*, base_url: str, project_code: str, building_code: str) -> str:
    """The absolute address a building's QR code encodes; `base_url` is e.g. "https://desk.example.cn/"."""
    return urljoin(base_url, qr_form_path(project_code=project_code, building_code=building_code))


def qr_svg(url: str, *, scale: int = 4) -> SafeString:
    """The QR code of `url` as an inline <svg> element (error correction M: survives some wear)."""
    code = segno.make(url, error="m", micro=False, boost_error=False)
    svg = code.svg_inline(
        scale=scale, border=2, omitsize=True, svgclass="qr-card__code", title=url, dark="#000", light="#fff"
    )
    return mark_safe(svg)  # noqa: S308 - segno builds the markup; the URL is escaped in its <title>


def qr_cards(*, base_url: str, buildings: list[Building]) -> list[QrCard]:
    cards = []
    for building in buildings:
        url = qr_form_url(base_url=base_url, project_code=building.project.code, building_code=building.code)
        cards.append(QrCard(building=building, url=url, svg=qr_svg(url)))
    return cards
