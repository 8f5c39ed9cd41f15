from django.urls import path

from estatedesk.visits import api
from estatedesk.visits.client_api_urls import urlpatterns as client_urlpatterns

urlpatterns: list = [
    path("", api.VisitListApi.as_view(), name="api-visits-list"),
    path("arrange/", api.VisitArrangeApi.as_view(), name="api-visits-arrange"),
    path("monthly/", api.MonthlyListMakeApi.as_view(), name="api-visits-monthly-make"),
    path("figures/", api.VisitFiguresApi.as_view(), name="api-visits-figures"),
    path("<int:pk>/", api.VisitDetailApi.as_view(), name="api-visits-detail"),
    path("<int:pk>/attempts/", api.VisitAttemptCreateApi.as_view(), name="api-visits-attempt-create"),
    path("<int:pk>/grade/", api.VisitGradeApi.as_view(), name="api-visits-grade"),
    path("<int:pk>/assign/", api.VisitAssignApi.as_view(), name="api-visits-assign"),
    path("<int:pk>/cancel/", api.VisitCancelApi.as_view(), name="api-visits-cancel"),
]
urlpatterns += client_urlpatterns  # client visits, R-CS-1
