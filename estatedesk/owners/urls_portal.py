from django.urls import path

from estatedesk.owners import views_portal

urlpatterns = [
    path("", views_portal.portal, name="portal"),
    path("profile/", views_portal.portal_profile, name="portal_profile"),
    path("login/code/", views_portal.portal_code_request, name="portal_code_request"),
    path("login/code/verify/", views_portal.portal_code_verify, name="portal_code_verify"),
    path("activate/", views_portal.portal_activate, name="portal_activate"),
    path("account/request/", views_portal.portal_account_request, name="portal_account_request"),
    path("password/forgot/", views_portal.portal_password_forgot, name="portal_password_forgot"),
    path("password/new/", views_portal.portal_password_set, name="portal_password_set"),
    path("email/confirm/<str:token>/", views_portal.portal_email_confirm, name="portal_email_confirm"),
    path("email/report/<str:token>/", views_portal.portal_email_report, name="portal_email_report"),
]
