from django.contrib import admin
from django.http import HttpRequest

from community.models import Community, CommunityAlias, Membership


class CommunityAliasInline(admin.TabularInline):
    model = CommunityAlias
    extra = 0
    fields = ("name", "status", "proposed_by", "decided_by", "created_at")
    readonly_fields = ("proposed_by", "decided_by", "created_at")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "policy", "professionals_only", "icd11_code", "orpha_code", "created_at")
    list_filter = ("policy", "professionals_only")
    search_fields = ("slug", "name", "aliases__name")
    # The hashtag and its tag are fixed at creation (through /c/new/, which
    # checks the name against other communities and aliases).
    readonly_fields = ("slug", "tag", "created_at")
    inlines = [CommunityAliasInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CommunityAlias)
class CommunityAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "status", "proposed_by", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "community__slug")
    list_select_related = ("community", "proposed_by", "decided_by")
    raw_id_fields = ("community", "proposed_by", "decided_by")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "role", "status", "created_at")
    list_filter = ("role", "status", "community")
    search_fields = ("user__username", "community__slug")
    list_select_related = ("user", "community")
    raw_id_fields = ("user", "community", "invited_by")
    readonly_fields = ("created_at", "updated_at")
