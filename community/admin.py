from django.contrib import admin
from taggit.admin import TagAdmin
from taggit.models import Tag

from accounts.admin_base import ReadOnlyAdminMixin, ReadOnlyInline, ReadOnlyModelAdmin
from community.models import Community, CommunityAlias, Membership

# Read-only (accounts.admin_base): policy on /c/<hashtag>/policy/, members, moderators
# and names on the community's moderator screens.


class CommunityAliasInline(ReadOnlyInline):
    model = CommunityAlias
    fields = ("name", "status", "proposed_by", "decided_by", "created_at")
    readonly_fields = ("proposed_by", "decided_by", "created_at")


@admin.register(Community)
class CommunityAdmin(ReadOnlyModelAdmin):
    list_display = ("slug", "name", "policy", "professionals_only", "icd11_code", "orpha_code", "created_at")
    list_filter = ("policy", "professionals_only")
    search_fields = ("slug", "name", "aliases__name")
    inlines = [CommunityAliasInline]


@admin.register(CommunityAlias)
class CommunityAliasAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "community", "status", "proposed_by", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "community__slug")
    list_select_related = ("community", "proposed_by", "decided_by")
    raw_id_fields = ("community", "proposed_by", "decided_by")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "community", "role", "status", "created_at")
    list_filter = ("role", "status", "community")
    search_fields = ("user__username", "community__slug")
    list_select_related = ("user", "community")
    raw_id_fields = ("user", "community", "invited_by")
    readonly_fields = ("created_at", "updated_at")


# A tag's name is a community's hashtag, fixed at creation (/c/new/ checks it against
# other communities and aliases).
admin.site.unregister(Tag)


@admin.register(Tag)
class ReadOnlyTagAdmin(ReadOnlyAdminMixin, TagAdmin):
    inlines = []  # taggit's generic tagged items; discussions use DiscussionTag
