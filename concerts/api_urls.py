from concerts.apis import ConcertDetailApi, ConcertListApi
from config.api import api_path

app_name = "concerts_api"
urlpatterns = [
    api_path("", ConcertListApi.as_view(), name="list"),
    api_path(r"(?P<pk>[^/]+)", ConcertDetailApi.as_view(), name="detail"),
]
