from django.urls import path

from config.placeholder import placeholder

app_name = "accounts"
urlpatterns = [
    path("signup/", placeholder, name="signup"),
    path("verify/", placeholder, name="verify"),
    path("login/", placeholder, name="login"),
    path("logout/", placeholder, name="logout"),
    path("me/", placeholder, name="account"),
]
