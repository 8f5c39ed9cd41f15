from django.urls import path

from estatedesk.feedback import hotline, views
from estatedesk.feedback.intake import views as intake_views
from estatedesk.feedback.statistics import views as statistics_views

app_name = "feedback"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("new/", views.item_register, name="item_register"),
    path("hotline/", hotline.hotline, name="hotline"),
    path("hotline/duplicates/", hotline.hotline_duplicates, name="hotline_duplicates"),
    path("residents/<int:pk>/history/", hotline.resident_history, name="resident_history"),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("mail/quarantine/", intake_views.quarantine_list, name="mail_quarantine"),
    path("mail/quarantine/<int:pk>/", intake_views.quarantine_detail, name="mail_quarantine_detail"),
    path("mail/quarantine/<int:pk>/raw.eml", intake_views.quarantine_raw, name="mail_quarantine_raw"),
    path(
        "mail/quarantine/<int:pk>/release/", intake_views.quarantine_release, name="mail_quarantine_release"
    ),
    path(
        "mail/quarantine/<int:pk>/discard/", intake_views.quarantine_discard, name="mail_quarantine_discard"
    ),
    path("contact/<str:token>/", intake_views.contact_email_confirm, name="contact_email_confirm"),
    path("<str:reference>/", views.item_detail, name="item_detail"),
    path("<str:reference>/step/", views.item_step, name="item_step"),
    path("<str:reference>/reclassify/", views.item_reclassify, name="item_reclassify"),
    path("<str:reference>/comment/", views.item_comment, name="item_comment"),
    path("<str:reference>/talk/", views.item_staff_talk, name="item_staff_talk"),
    path("<str:reference>/execution-record/", views.item_execution_record, name="item_execution_record"),
    path("<str:reference>/execution-record.pdf", views.execution_record_pdf, name="execution_record_pdf"),
    path("<str:reference>/report-to-hq/", views.item_report_to_hq, name="item_report_to_hq"),
    path("<str:reference>/photos/", views.item_photos, name="item_photos"),
    path("<str:reference>/files/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        "<str:reference>/files/<int:pk>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"
    ),
    path("<str:reference>/appointment/", views.item_appointment, name="item_appointment"),
    path("<str:reference>/hand-over/", views.item_hand_over, name="item_hand_over"),
]
