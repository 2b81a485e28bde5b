from django.urls import path

from config.placeholder import placeholder

app_name = "concerts"
urlpatterns = [
    path("", placeholder, name="home"),
    path("concerts/<slug:slug>/", placeholder, name="detail"),
]
