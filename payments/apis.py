"""Payments API: the provider's public configuration. The routes where a payment meets a
booking (create-intent, webhook, fake pay) live in checkout.apis, on the same paths."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors


class PaymentPubKeyApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    class OutputSerializer(serializers.Serializer):
        provider = serializers.ChoiceField(choices=["stripe", "fake"])
        publishable_key = serializers.CharField(allow_blank=True)

    @extend_schema(
        operation_id="payment_pub_key",
        summary="Payment provider and publishable key",
        responses={200: OutputSerializer},
    )
    def get(self, request):
        return Response(self.OutputSerializer(selectors.payment_public_config()).data)
