"""Admin for moderation models (found by the admin's autodiscovery).

The audit log is read-only here as everywhere: no add, change or delete.
"""

from django.contrib import admin

from moderation.models import Appeal, CrisisResource, Flag, KeywordRule, ModerationAction, Sanction


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "kind", "community", "target_user", "guideline")
    list_filter = ("kind", "community")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    list_display = ("pattern", "is_regex", "action", "community")
    list_filter = ("action", "is_regex")


@admin.register(CrisisResource)
class CrisisResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "phone", "url", "order")
    list_filter = ("region",)


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "community", "until", "lifted_at", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("user", "community", "kind", "actor", "created_at")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reason", "status", "discussion", "reply")
    list_filter = ("status", "reason")
    readonly_fields = ("flagger", "discussion", "reply", "reason", "guideline", "detail", "created_at")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("created_at", "appellant", "status")
    list_filter = ("status",)
    readonly_fields = ("action", "appellant", "text", "created_at")
