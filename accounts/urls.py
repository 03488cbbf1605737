from django.urls import path

from accounts import verification_views, views
from accounts.privacy_urls import urlpatterns as privacy_urlpatterns

app_name = "accounts"

urlpatterns = [
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/avatar/", views.avatar, name="avatar"),
    path("settings/profile/", views.profile_settings, name="profile_settings"),
    path("settings/low-energy/", views.low_energy_settings, name="low_energy_settings"),
    path("settings/avatar/", views.avatar_settings, name="avatar_settings"),
    path("settings/verification/", verification_views.verification_settings, name="verification_settings"),
    path("professionals/<str:username>/", views.professional, name="professional"),
    path("mod/verifications/", verification_views.verification_queue, name="verification_queue"),
    path("mod/verifications/<int:pk>/", verification_views.verification_detail, name="verification_detail"),
    path("mod/verifications/<int:pk>/approve/", verification_views.verification_approve, name="verification_approve"),
    path("mod/verifications/<int:pk>/reject/", verification_views.verification_reject, name="verification_reject"),
    path(
        "mod/verifications/<int:pk>/request-info/",
        verification_views.verification_request_info,
        name="verification_request_info",
    ),
    path("mod/verifications/<int:pk>/revoke/", verification_views.verification_revoke, name="verification_revoke"),
    path(
        "mod/verifications/<int:pk>/evidence/<int:evidence_id>/",
        verification_views.verification_evidence,
        name="verification_evidence",
    ),
    *privacy_urlpatterns,
]
