"""Fan-facing pages: sign up, enter the emailed code, log in, log out, edit the profile,
reset a forgotten password, change the email address."""

from __future__ import annotations

import math
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import errors, recovery, services
from accounts.forms import (
    EmailChangeForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
    VerifyForm,
)
from config.throttles import ScopedRateThrottle
from config.views import message_for_error

SESSION_SIGNUP_EMAIL = "accounts_signup_email"
SESSION_SIGNUP_NEXT = "accounts_signup_next"
SESSION_SIGNUP_ID = "accounts_signup_id"
THROTTLED = "Too many attempts. Please wait {seconds} seconds and try again."
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`next` only if it points back into this site; else the default landing page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _throttle_wait(request: HttpRequest, scope: str) -> int | None:
    """Seconds to wait if this client is over the API's rate for `scope`; None if allowed.

    The pages share the API's buckets, so a password guesser gains nothing by switching.
    """
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return max(math.ceil(throttle.wait() or 1), 1)


def _render(
    request: HttpRequest, template: str, context: dict, *, retry_after: int | None = None
) -> HttpResponse:
    if retry_after is None:
        return render(request, template, context)
    context["form"].add_error(None, THROTTLED.format(seconds=retry_after))
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated:
        return redirect(_safe_next(request, next_url))
    form = SignupForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        if wait := _throttle_wait(request, "auth"):
            return _render(request, "accounts/signup.html", context, retry_after=wait)
        if form.is_valid():
            # One requester id per browser and address, so a double submit keeps its code.
            same_email = request.session.get(SESSION_SIGNUP_EMAIL) == form.cleaned_data["email"]
            signup_id = request.session.get(SESSION_SIGNUP_ID, "") if same_email else ""
            request.session[SESSION_SIGNUP_ID] = services.signup_start(
                **form.cleaned_data, signup_id=signup_id
            )
            request.session[SESSION_SIGNUP_EMAIL] = form.cleaned_data["email"]
            request.session[SESSION_SIGNUP_NEXT] = _safe_next(request, next_url)
            return redirect("accounts:verify")
    return _render(request, "accounts/signup.html", context)


def verify(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SESSION_SIGNUP_EMAIL)
    if not email:
        messages.info(request, "Start by signing up: we will email you a code.")
        return redirect("accounts:signup")
    form = VerifyForm(request.POST or None)
    context = {"form": form, "email": email, "restart": False}
    if request.method == "POST":
        if wait := _throttle_wait(request, "otp"):
            return _render(request, "accounts/verify.html", context, retry_after=wait)
        if form.is_valid():
            try:
                user = services.signup_verify(
                    email=email,
                    otp=form.cleaned_data["otp"],
                    signup_id=request.session.get(SESSION_SIGNUP_ID, ""),
                )
            except (errors.OtpExpired, errors.OtpLocked) as exc:
                form.add_error("otp", message_for_error(exc))
                context["restart"] = True
            except errors.OtpInvalid as exc:
                form.add_error("otp", message_for_error(exc))
            else:
                next_url = request.session.get(SESSION_SIGNUP_NEXT) or _safe_next(request, None)
                login(request, user, backend=BACKEND)
                request.session.pop(SESSION_SIGNUP_EMAIL, None)
                request.session.pop(SESSION_SIGNUP_NEXT, None)
                request.session.pop(SESSION_SIGNUP_ID, None)
                messages.success(request, "Welcome to boxoffice! Your account is ready.")
                return redirect(next_url)
    return _render(request, "accounts/verify.html", context)


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated:
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        if wait := _throttle_wait(request, "auth"):
            return _render(request, "accounts/login.html", context, retry_after=wait)
        if form.is_valid():
            try:
                user = services.user_authenticate(**form.cleaned_data, request=request)
            except errors.InvalidCredentials as exc:
                form.add_error(None, message_for_error(exc))
            else:
                login(request, user, backend=BACKEND)
                return redirect(_safe_next(request, next_url))
    return _render(request, "accounts/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Your details are saved.")
        return redirect("accounts:account")
    context = {"form": form, "email_form": EmailChangeForm(prefix="email")}
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    email_form = EmailChangeForm(request.POST, prefix="email")
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone}
    context = {"form": ProfileForm(initial=initial), "email_form": email_form}
    if wait := _throttle_wait(request, "auth"):
        email_form.add_error(None, THROTTLED.format(seconds=wait))
        response = render(request, "accounts/account.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    if email_form.is_valid():
        try:
            recovery.email_change_request(
                user=user,
                new_email=email_form.cleaned_data["new_email"],
                password=email_form.cleaned_data["password"],
            )
        except errors.PasswordIncorrect as exc:
            email_form.add_error("password", message_for_error(exc))
        else:
            messages.success(
                request,
                f"We emailed a link to {email_form.cleaned_data['new_email']}. "
                "Open it to finish the change.",
            )
            return redirect("accounts:account")
    return render(request, "accounts/account.html", context)


def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A page with a button, not a change on GET: mail scanners open links too."""
    if request.method == "POST":
        try:
            user = recovery.email_change_confirm(token=token)
        except (errors.InvalidToken, errors.EmailTaken) as exc:
            return render(request, "accounts/email_confirm.html", {"error": message_for_error(exc)})
        messages.success(request, f"Your email is now {user.email}.")
        return redirect("accounts:account" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/email_confirm.html", {"error": None})


def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST":
        if wait := _throttle_wait(request, "auth"):
            return _render(request, "accounts/password_reset.html", context, retry_after=wait)
        if form.is_valid():
            recovery.password_reset_request(email=form.cleaned_data["email"])
            return redirect("accounts:password_reset_done")
    return _render(request, "accounts/password_reset.html", context)


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view checks the link (and hides the token from the Referer); setting the
    password goes through our service, which also signs the user out everywhere."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    extra_context = {"invalid_message": errors.INVALID_TOKEN}

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        recovery.user_set_password(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")
