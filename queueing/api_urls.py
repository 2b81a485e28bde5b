from config.api import api_path
from queueing import apis

app_name = "queueing_api"
urlpatterns = [
    api_path("join", apis.QueueJoinApi.as_view(), name="join"),
    api_path("status", apis.QueueStatusApi.as_view(), name="status"),
    api_path("leave", apis.QueueLeaveApi.as_view(), name="leave"),
    api_path("receipt", apis.DrawReceiptApi.as_view(), name="receipt"),
    api_path("draw", apis.DrawApi.as_view(), name="draw"),
    api_path("challenge", apis.QueueChallengeApi.as_view(), name="challenge"),
]
