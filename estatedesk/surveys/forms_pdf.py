"""附表一 物业服务质量意见征询表 / LETTER OF FEEDBACK COLLECTION as printed forms (R-SV-6, R-SV-2): one A4
page per numbered form, bilingual (Chinese and English): the company, the greeting, the campaign's items
each with the four boxes 很满意 / 满意 / 较满意 / 不满意, the feedback, the customer's name and the date, the
area, the serial number printed large (keyed in when the form comes back), and a QR code of the form's own
address (/s/<token>/) to answer online instead.

Rendered like feedback/pdf.py: WeasyPrint fetching nothing (the QR code is inline SVG), Noto Sans CJK SC,
every typed text through `common.text.document_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urljoin

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.surveys.choices import FormKind
from estatedesk.surveys.models import Campaign, CampaignArea, SurveyForm

MAX_FORMS_PER_PDF = 200  # about 0.1 s a page: a bigger print run comes in parts (forms.pdf?part=N)

TITLES: dict[str, tuple[str, str]] = {
    FormKind.FEEDBACK_FORM: ("物业服务质量意见征询表", "LETTER OF FEEDBACK COLLECTION"),
    FormKind.QUESTIONNAIRE: ("物业服务质量调查表", "SERVICE QUALITY QUESTIONNAIRE"),
}
SCALE = (
    ("很满意", "Very satisfied"),
    ("满意", "Satisfied"),
    ("较满意", "Fairly satisfied"),
    ("不满意", "Unsatisfied"),
)


def base_url(request_base: str) -> str:
    """The site's address for links printed on paper: the configured public address when there is one,
    else the request's (e.g. "https://desk.example.cn/")."""
    return getattr(settings, "ESTATEDESK_PUBLIC_URL", "") or request_base


def answer_url(*, base: str, token: str) -> str:
    """The form's own address (the public answer page, /s/<token>/) under the site's base address."""
    path = reverse("surveys_public:answer", args=[token])
    return urljoin(base if base.endswith("/") else f"{base}/", path.lstrip("/"))


def qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline <svg> (error correction M: survives a fold and some wear)."""
    code = segno.make(url, error="m", micro=False, boost_error=False)
    svg = code.svg_inline(
        scale=3, border=2, omitsize=True, svgclass="qr", title=url, dark="#000", light="#fff"
    )
    return mark_safe(svg)  # noqa: S308 - segno builds the markup; the URL is escaped in its <title>


def serial_text(serial: int) -> str:
    return f"{serial:04d}"


def forms_pdf(*, campaign: Campaign, area: CampaignArea, forms: Sequence[SurveyForm], base: str) -> bytes:
    """The PDF of the given forms of one area, a page each, and their print time recorded (the first)."""
    project = campaign.project
    title, title_en = TITLES.get(campaign.kind, TITLES[FormKind.FEEDBACK_FORM])
    items = [
        {"label": document_text(item.label), "label_en": document_text(item.label_en)}
        for item in campaign.items.order_by("position", "id")
    ]
    pages = []
    for form in forms:
        url = answer_url(base=base, token=form.token)
        pages.append({"serial": serial_text(form.serial), "url": url, "qr": qr_svg(url)})
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "surveys/pdf_form.html",
            {
                "campaign": campaign,
                "company": document_text(project.branch.company.name),
                "project": document_text(project.name),
                "area": document_text(area.area.name),
                "title": title,
                "title_en": title_en,
                "greeting": document_text(campaign.greeting),
                "greeting_en": document_text(campaign.greeting_en),
                "items": items,
                "scale": SCALE,
                "pages": pages,
            },
        )
        pdf = html_to_pdf(html)
    SurveyForm.objects.filter(pk__in=[form.pk for form in forms], printed_at__isnull=True).update(
        printed_at=timezone.now()
    )
    return pdf
