from django.urls import path

from config.placeholder import placeholder

app_name = "queueing"
urlpatterns = [
    path("<int:concert_id>/", placeholder, name="room"),
]
