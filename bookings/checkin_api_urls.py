from bookings import apis
from config.api import api_path

app_name = "checkin_api"
urlpatterns = [
    api_path("", apis.CheckinApi.as_view(), name="checkin"),
]
