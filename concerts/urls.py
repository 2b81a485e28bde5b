from django.urls import path

from concerts import views

app_name = "concerts"
urlpatterns = [
    path("", views.home, name="home"),
    path("concerts/<slug:slug>/", views.detail, name="detail"),
]
