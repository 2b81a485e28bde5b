from django.urls import path

from bench import views

app_name = "bench"
urlpatterns = [
    path("minimal", views.minimal, name="minimal"),
    path("redis-get", views.redis_get, name="redis-get"),
]
