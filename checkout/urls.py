from django.urls import path

from . import views

app_name = "checkout"
urlpatterns = [
    path("<int:booking_id>/", views.checkout, name="checkout"),
    path("<int:booking_id>/pay/", views.checkout_fake_pay, name="fake-pay"),
    path("<int:booking_id>/return/", views.checkout_return, name="return"),
]
