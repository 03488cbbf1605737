from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from community import views
from spoonful import app_shell, health, job_views, seo

# The admin's own login would bypass allauth's rate limits and two-factor step.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
    path("manifest.webmanifest", app_shell.web_manifest, name="web_manifest"),
    path("sw.js", app_shell.service_worker, name="service_worker"),
    path("offline/", app_shell.offline, name="offline"),
    path("professional/waiting/", views.professional_waiting, name="professional_waiting"),
    path("staff/jobs/", job_views.job_overview, name="job_overview"),
    path("staff/jobs/<str:task_id>/retry/", job_views.job_retry, name="job_retry"),
    path("c/", include("community.communities_urls")),
    path("mod/", include("moderation.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("conversations.urls")),
    path("", include("discussions.urls")),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
