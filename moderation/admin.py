"""Admin for moderation models (found by the admin's autodiscovery).

Read-only (accounts.admin_base): moderators act through the moderation services
(post_actions, member_actions, services and the rest), which audit every action; the
audit log is read-only everywhere. Two exceptions until staff have screens of their
own for them: crisis resources, which are the site's reference data (helplines), not
anything a member wrote; and adding a keyword rule, which goes through the audited
service.
"""

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_base import ReadOnlyModelAdmin
from moderation import screening
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

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_staff

    def save_model(self, request: HttpRequest, obj: KeywordRule, form, change: bool) -> None:
        # The form has validated the pattern (KeywordRule.clean); the service checks the
        # right to add it and writes the moderation log row.
        rule = screening.keyword_rule_create(
            acting_user=request.user,
            community=obj.community,
            pattern=obj.pattern,
            is_regex=obj.is_regex,
            action=obj.action,
            message=obj.message,
        )
        obj.pk, obj.created_by, obj.created_at = rule.pk, rule.created_by, rule.created_at


@admin.register(CrisisResource)
class CrisisResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "phone", "url", "order")
    list_filter = ("region",)


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
