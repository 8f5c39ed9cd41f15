"""Pages of the company newsletter (天泰物语, R-IR-7). Thin: forms in, `reporting.newsletter` out.

- the archive (/reporting/newsletter/): published issues for every staff member, drafts and "new issue"
  for HQ;
- an issue (/reporting/newsletter/<number>/) and its PDF (the file stored when it was published; a draft's
  preview rendered on the fly for HQ);
- the editor (/reporting/newsletter/<number>/edit/, HQ, drafts only): the issue's title and introduction,
  the articles (text editable, moved up and down, removed), accepted reports to add, a feedback item to add
  by its reference, and "publish".
A draft is 404 for anyone but HQ; the editor's pages and posts are 404 for anyone but HQ.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from estatedesk.common.errors import DomainError
from estatedesk.common.forms import add_domain_error
from estatedesk.feedback.models import FeedbackItem
from estatedesk.org.models import Company
from estatedesk.org.permissions import can, can_anywhere
from estatedesk.reporting import newsletter
from estatedesk.reporting.choices import IssueStatus
from estatedesk.reporting.models import NewsletterArticle, NewsletterIssue, ReportSubmission
from estatedesk.reporting.newsletter_pdf import newsletter_pdf
from estatedesk.reporting.views.scoring import optional_url


class IssueForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    introduction = forms.CharField(
        label=gettext_lazy("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 8}))


class ReferenceForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=40)


def _require_view(request: HttpRequest) -> None:
    if not can_anywhere(request.user, "reporting.view"):
        raise PermissionDenied


def _editable(request: HttpRequest, number: int) -> NewsletterIssue:
    """A draft or published issue for HQ's editor, else 404."""
    if not can(request.user, "reporting.newsletter"):
        raise Http404
    return newsletter.issue_get_for_user(user=request.user, number=number)


def _article(issue: NewsletterIssue, pk: int) -> NewsletterArticle:
    article = NewsletterArticle.objects.select_related("issue").filter(issue=issue, pk=pk).first()
    if article is None:
        raise Http404
    return article


def _company(request: HttpRequest) -> Company:
    from estatedesk.common.scoping import scope_for

    ids = scope_for(request.user).company_ids
    company = Company.objects.filter(pk__in=ids).order_by("id").first()
    if company is None:
        raise Http404
    return company


@login_required
@require_GET
def newsletter_list(request: HttpRequest) -> HttpResponse:
    """The archive: every published issue of the company, newest first (and the drafts, for HQ)."""
    _require_view(request)
    is_editor = can(request.user, "reporting.newsletter")
    return render(
        request,
        "reporting/newsletter_list.html",
        {
            "issues": list(newsletter.issue_list(user=request.user)[:200]),
            "is_editor": is_editor,
            "form": IssueForm() if is_editor else None,
        },
    )


@login_required
@require_POST
def newsletter_new(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "reporting.newsletter"):
        raise Http404
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            issue = newsletter.issue_create(
                actor=request.user,
                company=_company(request),
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Issue %(number)d is started.") % {"number": issue.number})
            return redirect("reporting:newsletter_edit", number=issue.number)
    return render(
        request,
        "reporting/newsletter_list.html",
        {"issues": list(newsletter.issue_list(user=request.user)[:200]), "is_editor": True, "form": form},
        status=400,
    )


@login_required
@require_GET
def newsletter_issue(request: HttpRequest, number: int) -> HttpResponse:
    _require_view(request)
    issue = newsletter.issue_get_for_user(user=request.user, number=number)
    is_editor = can(request.user, "reporting.newsletter")
    articles = newsletter.issue_articles(issue=issue)
    return render(
        request,
        "reporting/newsletter_issue.html",
        {
            "issue": issue,
            "articles": [_article_row(article, is_editor) for article in articles],
            "is_editor": is_editor,
        },
    )


def _article_row(article: NewsletterArticle, is_editor: bool) -> dict[str, Any]:
    """The article and, for HQ, a link to its source."""
    source = ""
    if is_editor and article.submission is not None:
        source = optional_url("reporting:submission_detail", article.submission.reference)
    elif is_editor and article.feedback_item is not None:
        source = optional_url("feedback:item_detail", article.feedback_item.reference)
    return {"article": article, "source_url": source}


@login_required
@require_GET
def newsletter_pdf_view(request: HttpRequest, number: int) -> HttpResponseBase:
    """The issue's PDF: the file stored when it was published; a draft's preview for HQ."""
    _require_view(request)
    issue = newsletter.issue_get_for_user(user=request.user, number=number)
    filename = f"{issue.company.code}-newsletter-{issue.number}.pdf"
    if issue.status == IssueStatus.PUBLISHED and issue.pdf:
        response: HttpResponseBase = FileResponse(issue.pdf.open("rb"), content_type="application/pdf")
    else:
        content = newsletter_pdf(issue=issue, articles=newsletter.issue_articles(issue=issue))
        response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the editor (HQ) -------------------------------------------------------------------------------------


def _render_edit(
    request: HttpRequest,
    issue: NewsletterIssue,
    *,
    issue_form: IssueForm | None = None,
    bound: dict[int, ArticleForm] | None = None,
    report_form: ReferenceForm | None = None,
    item_form: ReferenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    articles = newsletter.issue_articles(issue=issue)
    return render(
        request,
        "reporting/newsletter_edit.html",
        {
            "issue": issue,
            "issue_form": issue_form
            or IssueForm(initial={"title": issue.title, "introduction": issue.introduction}),
            "articles": [
                {
                    "article": article,
                    "form": bound.get(article.pk)
                    or ArticleForm(
                        initial={"title": article.title, "body": article.body}, prefix=f"a{article.pk}"
                    ),
                    "first": index == 0,
                    "last": index == len(articles) - 1,
                }
                for index, article in enumerate(articles)
            ],
            "candidates": newsletter.candidate_reports(user=request.user, issue=issue),
            "report_form": report_form or ReferenceForm(prefix="report"),
            "item_form": item_form or ReferenceForm(prefix="item"),
        },
        status=status,
    )


def _published_redirect(request: HttpRequest, issue: NewsletterIssue) -> HttpResponse | None:
    if issue.status != IssueStatus.DRAFT:
        messages.info(request, _("The issue is published: it can no longer be changed."))
        return redirect("reporting:newsletter_issue", number=issue.number)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def newsletter_edit(request: HttpRequest, number: int) -> HttpResponse:
    """The editor; a POST saves the issue's title and introduction."""
    issue = _editable(request, number)
    published = _published_redirect(request, issue)
    if published is not None:
        return published
    if request.method == "GET":
        return _render_edit(request, issue)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            newsletter.issue_edit(
                actor=request.user,
                issue=issue,
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The issue is saved."))
            return redirect("reporting:newsletter_edit", number=issue.number)
    return _render_edit(request, issue, issue_form=form, status=400)


@login_required
@require_POST
def newsletter_add_report(request: HttpRequest, number: int) -> HttpResponse:
    """Add an accepted report (by reference) as an article, its text prefilled."""
    issue = _editable(request, number)
    form = ReferenceForm(request.POST, prefix="report")
    if form.is_valid():
        submission = (
            ReportSubmission.objects.visible_to(request.user)
            .select_related("information_type", "branch", "project", "template")
            .filter(reference=form.cleaned_data["reference"].strip())
            .first()
        )
        if submission is None:
            form.add_error("reference", _("No report of yours has this reference."))
        else:
            try:
                newsletter.article_add_from_submission(actor=request.user, issue=issue, submission=submission)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("The report is added: edit its text below."))
                return redirect("reporting:newsletter_edit", number=issue.number)
    return _render_edit(request, issue, report_form=form, status=400)


@login_required
@require_POST
def newsletter_add_item(request: HttpRequest, number: int) -> HttpResponse:
    """Add a feedback item (by reference) as an article, its text prefilled."""
    issue = _editable(request, number)
    form = ReferenceForm(request.POST, prefix="item")
    if form.is_valid():
        item = (
            FeedbackItem.objects.visible_to(request.user)
            .select_related("project")
            .filter(reference=form.cleaned_data["reference"].strip())
            .first()
        )
        if item is None:
            form.add_error("reference", _("No feedback item of yours has this reference."))
        else:
            try:
                newsletter.article_add_from_item(actor=request.user, issue=issue, item=item)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("The item is added: edit its text below."))
                return redirect("reporting:newsletter_edit", number=issue.number)
    return _render_edit(request, issue, item_form=form, status=400)


@login_required
@require_POST
def newsletter_article(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """Save an article's title and text."""
    issue = _editable(request, number)
    article = _article(issue, pk)
    form = ArticleForm(request.POST, prefix=f"a{article.pk}")
    if form.is_valid():
        try:
            newsletter.article_edit(
                actor=request.user,
                article=article,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The article is saved."))
            return redirect(
                f"{reverse('reporting:newsletter_edit', args=[issue.number])}#article-{article.pk}"
            )
    return _render_edit(request, issue, bound={article.pk: form}, status=400)


@login_required
@require_POST
def newsletter_article_move(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    issue = _editable(request, number)
    article = _article(issue, pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        raise Http404
    try:
        newsletter.article_move(actor=request.user, article=article, offset=-1 if direction == "up" else 1)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("reporting:newsletter_edit", number=issue.number)


@login_required
@require_POST
def newsletter_article_remove(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    issue = _editable(request, number)
    article = _article(issue, pk)
    try:
        newsletter.article_remove(actor=request.user, article=article)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The article is removed from the issue."))
    return redirect("reporting:newsletter_edit", number=issue.number)


@login_required
@require_POST
def newsletter_publish(request: HttpRequest, number: int) -> HttpResponse:
    issue = _editable(request, number)
    try:
        newsletter.issue_publish(actor=request.user, issue=issue)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("reporting:newsletter_edit", number=issue.number)
    messages.success(request, _("Issue %(number)d is published.") % {"number": issue.number})
    return redirect("reporting:newsletter_issue", number=issue.number)


urlpatterns = [
    path("newsletter/", newsletter_list, name="newsletter_list"),
    path("newsletter/new/", newsletter_new, name="newsletter_new"),
    path("newsletter/<int:number>/", newsletter_issue, name="newsletter_issue"),
    path("newsletter/<int:number>/pdf/", newsletter_pdf_view, name="newsletter_pdf"),
    path("newsletter/<int:number>/edit/", newsletter_edit, name="newsletter_edit"),
    path("newsletter/<int:number>/add-report/", newsletter_add_report, name="newsletter_add_report"),
    path("newsletter/<int:number>/add-item/", newsletter_add_item, name="newsletter_add_item"),
    path("newsletter/<int:number>/articles/<int:pk>/", newsletter_article, name="newsletter_article"),
    path(
        "newsletter/<int:number>/articles/<int:pk>/move/",
        newsletter_article_move,
        name="newsletter_article_move",
    ),
    path(
        "newsletter/<int:number>/articles/<int:pk>/remove/",
        newsletter_article_remove,
        name="newsletter_article_remove",
    ),
    path("newsletter/<int:number>/publish/", newsletter_publish, name="newsletter_publish"),
]
