"""The project's URLs plus the ones this issue asks the lead to mount (sitemap,
robots, search), so the tests run whether or not they are mounted yet."""

from django.urls import path

from community import seo
from community.urls import urlpatterns as project_urlpatterns
from discussions import search_views

urlpatterns = [
    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
    path("search/", search_views.search, name="search"),
    *project_urlpatterns,
]
