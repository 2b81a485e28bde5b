from bookings import apis
from config.api import api_path

app_name = "checkin_api"
urlpatterns = [
    api_path("", apis.CheckinApi.as_view(), name="checkin"),
    api_path("undo", apis.CheckinUndoApi.as_view(), name="undo"),
    api_path("stats", apis.CheckinStatsApi.as_view(), name="stats"),
]
