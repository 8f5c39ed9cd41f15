from django.urls import path

from estatedesk.quality import api

urlpatterns = [
    path("nonconformities/", api.NonconformityListApi.as_view(), name="api-quality-list"),
    path("nonconformities/create/", api.NonconformityCreateApi.as_view(), name="api-quality-create"),
    path("figures/", api.NonconformityFiguresApi.as_view(), name="api-quality-figures"),
    path("nonconformities/<str:reference>/", api.NonconformityDetailApi.as_view(), name="api-quality-detail"),
    path(
        "nonconformities/<str:reference>/take-up/",
        api.NonconformityTakeUpApi.as_view(),
        name="api-quality-take-up",
    ),
    path(
        "nonconformities/<str:reference>/analysis/",
        api.NonconformityAnalyseApi.as_view(),
        name="api-quality-analyse",
    ),
    path(
        "nonconformities/<str:reference>/actions/",
        api.NonconformityActionAddApi.as_view(),
        name="api-quality-action-add",
    ),
    path(
        "nonconformities/<str:reference>/actions/<int:pk>/done/",
        api.NonconformityActionDoneApi.as_view(),
        name="api-quality-action-done",
    ),
    path(
        "nonconformities/<str:reference>/start/",
        api.NonconformityStartApi.as_view(),
        name="api-quality-start",
    ),
    path(
        "nonconformities/<str:reference>/to-verification/",
        api.NonconformityToVerificationApi.as_view(),
        name="api-quality-to-verification",
    ),
    path(
        "nonconformities/<str:reference>/verification/",
        api.NonconformityVerifyApi.as_view(),
        name="api-quality-verify",
    ),
    path(
        "nonconformities/<str:reference>/verification-visit/",
        api.NonconformityVerificationVisitApi.as_view(),
        name="api-quality-verification-visit",
    ),
    path(
        "nonconformities/<str:reference>/cancel/",
        api.NonconformityCancelApi.as_view(),
        name="api-quality-cancel",
    ),
    path(
        "nonconformities/<str:reference>/reopen/",
        api.NonconformityReopenApi.as_view(),
        name="api-quality-reopen",
    ),
]
