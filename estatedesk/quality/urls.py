from django.urls import path

from estatedesk.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.nonconformity_list, name="list"),
    path("new/", views.nonconformity_create, name="create"),
    path("figures/", views.figures_page, name="figures"),
    # feedback's staff page of an item (htmx fragment); before the references
    path("item/<str:reference>/", views.item_nonconformities, name="item_nonconformities"),
    path("<str:reference>/", views.nonconformity_detail, name="detail"),
    path("<str:reference>/take-up/", views.take_up, name="take_up"),
    path("<str:reference>/analysis/", views.analyse, name="analyse"),
    path("<str:reference>/actions/", views.action_add, name="action_add"),
    path("<str:reference>/actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("<str:reference>/start/", views.start, name="start"),
    path("<str:reference>/to-verification/", views.to_verification, name="to_verification"),
    path("<str:reference>/verification/", views.verify, name="verify"),
    path("<str:reference>/verification-visit/", views.verification_visit, name="verification_visit"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
    path("<str:reference>/reopen/", views.reopen, name="reopen"),
    path("<str:reference>/record.pdf", views.record_pdf, name="pdf"),
    path("<str:reference>/evidence/", views.evidence_download, name="evidence"),
]
