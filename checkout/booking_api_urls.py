from checkout import apis
from config.api import api_path

app_name = "checkout_booking_api"
urlpatterns = [
    api_path(r"(?P<pk>\d{1,19})/confirm", apis.BookingConfirmApi.as_view(), name="confirm"),
]
