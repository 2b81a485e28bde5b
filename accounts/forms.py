"""Web forms for sign-up, code entry, log in and the profile; the same rules as the API."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError

from accounts.selectors import normalize_email
from accounts.validators import normalize_phone, validate_new_password


def _text(autocomplete: str, **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


class NoAutofocusWhenBoundMixin:
    """Autofocus helps on a fresh form; on a re-shown one the error alert leads instead."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)


class ProfileForm(forms.Form):
    """The profile fields, edited on the account page and asked for at sign-up."""

    first_name = forms.CharField(
        label="First name", max_length=150, required=False, widget=_text("given-name")
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, required=False, widget=_text("family-name")
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="International format, e.g. +44 20 7946 0958.",
    )

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(value) if value else ""


class SignupForm(NoAutofocusWhenBoundMixin, ProfileForm):
    field_order = ["email", "password", "first_name", "last_name", "phone"]

    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password and not all digits.",
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("email") and cleaned.get("password"):
            try:
                validate_new_password(
                    cleaned["password"],
                    email=cleaned["email"],
                    first_name=cleaned.get("first_name", ""),
                    last_name=cleaned.get("last_name", ""),
                )
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class VerifyForm(NoAutofocusWhenBoundMixin, forms.Form):
    otp = forms.CharField(
        label="6-digit code",
        max_length=7,  # room for a pasted "123 456"
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\d{3} ?\d{3}",
                "class": "otp-input",
                "autofocus": True,
            }
        ),
    )


class LoginForm(NoAutofocusWhenBoundMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordResetRequestForm(NoAutofocusWhenBoundMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text="The address you log in with. We will email it a link.",
    )


class NewPasswordForm(SetPasswordForm):
    """Django's set-password form (its validators see the user's own details)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["new_password1"].widget.attrs["autofocus"] = True
        self.fields[
            "new_password1"
        ].help_text = "At least 8 characters; not a common password and not all digits."


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="New email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We will email this address a link; the change happens when you open it.",
    )
    password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_new_email(self) -> str:
        return normalize_email(self.cleaned_data["new_email"])
