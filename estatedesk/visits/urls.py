from django.urls import path

from estatedesk.visits import views
from estatedesk.visits.client_urls import urlpatterns as client_urlpatterns

app_name = "visits"
urlpatterns: list = [
    path("", views.visit_list, name="visit_list"),
    path("figures/", views.figures, name="figures"),
    path("monthly/make/", views.monthly_make, name="monthly_make"),
    path("monthly/export/", views.monthly_export, name="monthly_export"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/attempts/", views.visit_attempt, name="visit_attempt"),
    path("<int:pk>/grade/", views.visit_grade, name="visit_grade"),
    path("<int:pk>/assign/", views.visit_assign, name="visit_assign"),
    path("<int:pk>/cancel/", views.visit_cancel, name="visit_cancel"),
    path("<int:pk>/record.pdf", views.visit_pdf, name="visit_pdf"),
    # feedback's staff page of an item (htmx fragment)
    path("item/<str:reference>/", views.item_visits, name="item_visits"),
    # the owner (portal)
    path("mine/<int:pk>/", views.portal_visit, name="portal_visit"),
    path("mine/item/<str:reference>/", views.portal_item_visits, name="portal_item_visits"),
]
urlpatterns += client_urlpatterns  # client visits, R-CS-1
