"""The sitemap lists only what a signed-out visitor may read: public, published
discussions (through the one visibility rule) and communities that are not private."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from community.models import Community
from community.selectors import community_list_visible_to
from discussions.models import Discussion
from discussions.selectors import discussion_list_visible_to


class DiscussionSitemap(Sitemap):
    changefreq = "daily"
    limit = 5000

    def items(self) -> QuerySet[Discussion]:
        # A visitor's view, never the requester's: a signed-in crawler sees the same list.
        return discussion_list_visible_to(AnonymousUser()).only("pk", "title", "last_activity_at").order_by("-pk")

    def lastmod(self, item: Discussion):
        return item.last_activity_at


class CommunitySitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> QuerySet[Community]:
        return community_list_visible_to(AnonymousUser()).order_by("slug")


SITEMAPS = {"discussions": DiscussionSitemap, "communities": CommunitySitemap}
