from django.urls import path

from queueing import views

app_name = "queueing"
urlpatterns = [
    path("<int:concert_id>/", views.room, name="room"),
    path("<int:concert_id>/token/", views.token, name="token"),
    path("<int:concert_id>/leave/", views.leave, name="leave"),
    path("<int:concert_id>/draw/", views.draw_page, name="draw"),
]
