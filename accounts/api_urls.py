from accounts import apis
from config.api import api_path

app_name = "accounts_api"
urlpatterns = [
    api_path("signup/email", apis.SignupEmailApi.as_view(), name="signup-email"),
    api_path("verify-otp", apis.VerifyOtpApi.as_view(), name="verify-otp"),
    api_path("login/email", apis.LoginEmailApi.as_view(), name="login-email"),
    api_path("refresh", apis.RefreshApi.as_view(), name="refresh"),
    api_path("logout", apis.LogoutApi.as_view(), name="logout"),
    api_path("me", apis.MeApi.as_view(), name="me"),
    api_path("password/reset", apis.PasswordResetApi.as_view(), name="password-reset"),
    api_path(
        "password/reset/confirm",
        apis.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    api_path("email/change", apis.EmailChangeApi.as_view(), name="email-change"),
    api_path("email/confirm", apis.EmailConfirmApi.as_view(), name="email-confirm"),
]
