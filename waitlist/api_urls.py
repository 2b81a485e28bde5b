from config.api import api_path
from waitlist import apis

app_name = "waitlist_api"
urlpatterns = [
    api_path("", apis.WaitlistJoinApi.as_view(), name="join"),
    api_path("mine", apis.WaitlistMineApi.as_view(), name="mine"),
    api_path(r"(?P<pk>\d{1,19})", apis.WaitlistEntryApi.as_view(), name="entry"),
    api_path(
        r"offers/(?P<pk>\d{1,19})/accept", apis.WaitlistOfferAcceptApi.as_view(), name="accept"
    ),
]
