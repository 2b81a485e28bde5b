from django.urls import path

from config.placeholder import placeholder

app_name = "bookings"
urlpatterns = [
    path("mine/", placeholder, name="mine"),
    path("checkin/", placeholder, name="checkin"),
]
