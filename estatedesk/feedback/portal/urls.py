"""Owner-facing feedback under /f/ (views_portal.py). Fixed words come first: project codes are capital
letters, digits and dashes, so "new", "mine", "rate" and "sheet" never name a project."""

from django.urls import path

from estatedesk.feedback.portal import views as views_portal

app_name = "feedback_portal"
urlpatterns = [
    path("new/", views_portal.new, name="new"),
    path("mine/", views_portal.mine, name="mine"),
    path("mine/<str:reference>/", views_portal.item, name="item"),
    path("rate/<str:reference>/", views_portal.rate, name="rate"),
    path("sheet/<str:project>/", views_portal.qr_sheet, name="qr_sheet"),
    path("<str:project>/<str:building>/", views_portal.qr_form, name="qr_form"),
]
