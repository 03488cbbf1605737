from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models

from accounts.admin_base import ReadOnlyAdminMixin, ReadOnlyInline, ReadOnlyModelAdmin
from accounts.decorators import admin_requires_2fa
from accounts.models import AccountNotice, ProfessionalVerification, Profile, User, VerificationEvent

# Every admin page, whichever app registers it, is built through admin_view.
admin.site.admin_view = admin_requires_2fa(admin.site.admin_view)


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, DjangoUserAdmin):
    """Accounts change on their own screens (settings, deletion, sanctions), which
    end sessions and close sockets as they should."""

    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Community", {"fields": ("display_name", "health_data_consent_version", "health_data_consent_at")}),
    )
    readonly_fields = ("health_data_consent_version", "health_data_consent_at")


@admin.register(Profile)
class ProfileAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "role", "avatar_kind", "updated_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    filter_horizontal = ("conditions",)


class VerificationEventInline(ReadOnlyInline):
    model = VerificationEvent
    fields = ("at", "kind", "actor", "reason")
    readonly_fields = fields


@admin.register(ProfessionalVerification)
class ProfessionalVerificationAdmin(ReadOnlyModelAdmin):
    """Decisions are made in the staff queue (/mod/verifications/), which checks two-factor
    and writes the audit log; the admin only shows them."""

    list_display = ("applicant", "profession", "country", "status", "decided_at", "expires_at")
    list_filter = ("status", "profession")
    search_fields = ("applicant__username",)
    exclude = ("licence_number",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [VerificationEventInline]


@admin.register(VerificationEvent)
class VerificationEventAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "kind", "application", "actor")
    list_filter = ("kind",)
    date_hierarchy = "at"


@admin.register(AccountNotice)
class AccountNoticeAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "text", "created_at", "seen_at")
