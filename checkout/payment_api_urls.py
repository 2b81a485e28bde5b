from checkout import apis
from config.api import api_path

app_name = "checkout_payment_api"
urlpatterns = [
    api_path("create-intent", apis.PaymentIntentCreateApi.as_view(), name="create-intent"),
    api_path("webhook/stripe", apis.StripeWebhookApi.as_view(), name="webhook-stripe"),
    api_path(
        r"fake/(?P<payment_intent_id>[A-Za-z0-9_]{1,255})/pay",
        apis.FakePaymentPayApi.as_view(),
        name="fake-pay",
    ),
]
