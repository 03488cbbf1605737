from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Community", {"fields": ("display_name", "health_data_consent_version", "health_data_consent_at")}),
    )
    readonly_fields = ("health_data_consent_version", "health_data_consent_at")
