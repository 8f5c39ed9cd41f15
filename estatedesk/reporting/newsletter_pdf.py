"""An issue of the company newsletter (天泰物语, R-IR-7) as an A4 PDF: the masthead with the issue's number
and date, the introduction, the contents and the articles. Rendered like quality/pdf.py: WeasyPrint
fetching nothing, Noto Sans CJK SC (Chinese typeset with CSS line breaking for CJK), every text that people
typed through `common.text.document_text` and autoescaping."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from estatedesk.common.text import document_text
from estatedesk.feedback.pdf import html_to_pdf
from estatedesk.reporting.models import NewsletterArticle, NewsletterIssue


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in document_text(text).split("\n") if part.strip()]


def newsletter_html(*, issue: NewsletterIssue, articles: list[NewsletterArticle]) -> str:
    published = timezone.localtime(issue.published_at) if issue.published_at else None
    return render_to_string(
        "reporting/pdf_newsletter.html",
        {
            "issue": issue,
            "name": document_text(issue.name),
            "company": document_text(issue.company.name),
            "title": document_text(issue.title),
            "introduction": _paragraphs(issue.introduction),
            "published_on": f"{published:%Y年%m月%d日}" if published else "",
            "is_draft": issue.published_at is None,
            "articles": [
                {
                    "number": index,
                    "title": document_text(article.title),
                    "paragraphs": _paragraphs(article.body),
                }
                for index, article in enumerate(articles, start=1)
            ],
            "printed_at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        },
    )


def newsletter_pdf(*, issue: NewsletterIssue, articles: list[NewsletterArticle]) -> bytes:
    """The issue's PDF in the company's language (Noto Sans CJK SC; Debian fonts-noto-cjk)."""
    with translation.override(settings.LANGUAGE_CODE):
        return html_to_pdf(newsletter_html(issue=issue, articles=articles))
