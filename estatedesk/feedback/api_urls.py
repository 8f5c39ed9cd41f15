from django.urls import path

from estatedesk.feedback import api

urlpatterns = [
    path("items/", api.ItemListApi.as_view(), name="api-feedback-item-list"),
    path("statistics/", api.StatisticsApi.as_view(), name="api-feedback-statistics"),
    path("queues/", api.QueueListApi.as_view(), name="api-feedback-queue-list"),
    path("items/create/", api.ItemCreateApi.as_view(), name="api-feedback-item-create"),
    path("items/<str:reference>/", api.ItemDetailApi.as_view(), name="api-feedback-item-detail"),
    path("items/<str:reference>/steps/", api.ItemStepApi.as_view(), name="api-feedback-item-step"),
    path(
        "items/<str:reference>/classification/",
        api.ItemReclassifyApi.as_view(),
        name="api-feedback-item-reclassify",
    ),
    path("items/<str:reference>/comments/", api.ItemCommentApi.as_view(), name="api-feedback-item-comment"),
    path(
        "items/<str:reference>/information/",
        api.ItemInformationApi.as_view(),
        name="api-feedback-item-information",
    ),
    path(
        "items/<str:reference>/staff-talks/", api.StaffTalkCreateApi.as_view(), name="api-feedback-staff-talk"
    ),
    path(
        "items/<str:reference>/execution-record/",
        api.ExecutionRecordApi.as_view(),
        name="api-feedback-execution-record",
    ),
    path(
        "items/<str:reference>/appointment/",
        api.ItemAppointmentApi.as_view(),
        name="api-feedback-item-appointment",
    ),
    path(
        "items/<str:reference>/hand-over/", api.ItemHandOverApi.as_view(), name="api-feedback-item-hand-over"
    ),
    path("items/<str:reference>/rating/", api.ItemRateApi.as_view(), name="api-feedback-item-rate"),
    path("items/<str:reference>/chase/", api.ItemChaseApi.as_view(), name="api-feedback-item-chase"),
    path(
        "items/<str:reference>/withdrawal/", api.ItemWithdrawApi.as_view(), name="api-feedback-item-withdraw"
    ),
    path("items/<str:reference>/hq-report/", api.ItemReportToHqApi.as_view(), name="api-feedback-hq-report"),
]
