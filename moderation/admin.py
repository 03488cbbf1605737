"""Admin for moderation models (found by the admin's autodiscovery).

Read-only (accounts.admin_base): moderators act through the moderation services
(post_actions, member_actions, services and the rest), which audit every action; the
audit log is read-only everywhere. Keyword rules are kept at /mod/rules/, crisis
resources at /mod/crisis-resources/ (staff).
"""

from django.contrib import admin

from accounts.admin_base import ReadOnlyModelAdmin
from moderation.models import Appeal, CrisisResource, Flag, KeywordRule, MemberNote, ModerationAction, Sanction


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "actor", "kind", "community", "target_user", "guideline")
    list_filter = ("kind", "community")
    date_hierarchy = "created_at"


@admin.register(KeywordRule)
class KeywordRuleAdmin(ReadOnlyModelAdmin):
    list_display = ("pattern", "is_regex", "action", "community")
    list_filter = ("action", "is_regex")
    fields = ("community", "pattern", "is_regex", "action", "message")


@admin.register(CrisisResource)
class CrisisResourceAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "region", "phone", "url", "order")
    list_filter = ("region",)
    readonly_fields = ("region", "name", "description", "phone", "url", "order")


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "kind", "community", "until", "lifted_at", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("user", "community", "kind", "actor", "created_at")


@admin.register(MemberNote)
class MemberNoteAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "community", "member", "author")
    readonly_fields = ("community", "member", "author", "text", "created_at")


@admin.register(Flag)
class FlagAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "reason", "status", "discussion", "reply")
    list_filter = ("status", "reason")
    readonly_fields = ("flagger", "discussion", "reply", "reason", "guideline", "detail", "created_at")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "appellant", "status")
    list_filter = ("status",)
    readonly_fields = ("action", "appellant", "text", "created_at")
