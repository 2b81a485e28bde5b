from config.api import api_path

from . import apis

app_name = "payments_api"
urlpatterns = [
    api_path("pub-key", apis.PaymentPubKeyApi.as_view(), name="pub-key"),
]
