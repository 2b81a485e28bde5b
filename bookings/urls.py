from django.urls import path

from bookings import views

app_name = "bookings"
urlpatterns = [
    path("concert/<int:concert_id>/", views.select, name="select"),
    path("mine/", views.mine, name="mine"),
    path("checkin/", views.checkin, name="checkin"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
    path("<str:reference>/tickets.pdf", views.tickets_pdf, name="tickets_pdf"),
    path("<str:reference>/concert.ics", views.calendar_ics, name="calendar_ics"),
]
