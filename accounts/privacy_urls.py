from django.urls import path

from accounts import privacy_views as views

# Included from accounts/urls.py, inside the "accounts" namespace.
urlpatterns = [
    path("settings/privacy/", views.privacy_settings, name="privacy_settings"),
    path("settings/privacy/export/", views.export_request, name="privacy_export_request"),
    path("settings/privacy/export/<int:pk>/", views.export_status, name="privacy_export"),
    path("settings/privacy/export/<int:pk>/download/", views.export_download, name="privacy_export_download"),
    path("settings/privacy/delete/", views.account_delete, name="privacy_delete"),
    path("u/<str:username>/block/", views.block, name="block"),
    path("u/<str:username>/unblock/", views.unblock, name="unblock"),
]
