"""Fan-facing pages: sign up, enter the emailed code, log in, log out, edit the profile."""

from __future__ import annotations

import math
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import errors, services
from accounts.forms import LoginForm, ProfileForm, SignupForm, VerifyForm
from config.throttles import ScopedRateThrottle
from config.views import message_for_error

SESSION_SIGNUP_EMAIL = "accounts_signup_email"
SESSION_SIGNUP_NEXT = "accounts_signup_next"
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
            services.signup_start(**form.cleaned_data)
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
                user = services.signup_verify(email=email, otp=form.cleaned_data["otp"])
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
    return render(request, "accounts/account.html", {"form": form})
