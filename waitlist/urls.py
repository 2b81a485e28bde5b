from django.urls import path

from waitlist import views

app_name = "waitlist"
urlpatterns = [
    path("<int:concert_id>/", views.concert, name="concert"),
    path("entries/<int:entry_id>/leave/", views.leave, name="leave"),
    path("offers/<int:offer_id>/", views.offer, name="offer"),
]
