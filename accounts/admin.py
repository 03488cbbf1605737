from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest

from accounts.models import AccountNotice, ProfessionalVerification, Profile, User, VerificationEvent


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Community", {"fields": ("display_name", "health_data_consent_version", "health_data_consent_at")}),
    )
    readonly_fields = ("health_data_consent_version", "health_data_consent_at")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "avatar_kind", "updated_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    filter_horizontal = ("conditions",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records are written by the services only: nobody edits or deletes them here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class VerificationEventInline(admin.TabularInline):
    model = VerificationEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ProfessionalVerification)
class ProfessionalVerificationAdmin(ReadOnlyAdmin):
    """Decisions are made in the staff queue (/mod/verifications/), which checks two-factor
    and writes the audit log; the admin only shows them."""

    list_display = ("applicant", "profession", "country", "status", "decided_at", "expires_at")
    list_filter = ("status", "profession")
    search_fields = ("applicant__username",)
    exclude = ("licence_number",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [VerificationEventInline]


@admin.register(VerificationEvent)
class VerificationEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "application", "actor")
    list_filter = ("kind",)
    date_hierarchy = "at"


@admin.register(AccountNotice)
class AccountNoticeAdmin(ReadOnlyAdmin):
    list_display = ("user", "text", "created_at", "seen_at")
