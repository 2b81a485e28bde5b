"""User admin. Only superusers touch credentials and permissions; other staff (the box
office team) may look fans up and correct names and phone numbers."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User
from accounts.validators import normalize_phone

CREDENTIAL_FIELDS = ("email", "password", "is_active", "is_staff", "is_superuser")
PERMISSION_FIELDS = ("groups", "user_permissions")


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(phone) if phone else ""


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = (
        "email",
        "first_name",
        "last_name",
        "phone",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "date_joined")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "phone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", *PERMISSION_FIELDS)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    # Staff who are not superusers see no password hash and no permission widgets.
    limited_fieldsets = (
        (None, {"fields": ("email",)}),
        ("Profile", {"fields": ("first_name", "last_name", "phone")}),
        ("Status", {"fields": ("is_active", "is_staff")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        if obj is not None and not request.user.is_superuser:
            return self.limited_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += CREDENTIAL_FIELDS + PERMISSION_FIELDS
        return readonly

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Creating a user means choosing a password and an email login: credentials.
        return request.user.is_superuser and super().has_add_permission(request)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):  # noqa: A002
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)
