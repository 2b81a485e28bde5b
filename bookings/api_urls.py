from bookings import apis
from config.api import api_path

app_name = "bookings_api"
urlpatterns = [
    api_path("", apis.BookingCreateApi.as_view(), name="create"),
    api_path("pending", apis.BookingPendingApi.as_view(), name="pending"),
    api_path(r"confirmed/(?P<pk>\d{1,19})", apis.BookingConfirmedApi.as_view(), name="confirmed"),
    api_path("mine", apis.BookingMineApi.as_view(), name="mine"),
]
