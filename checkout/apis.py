"""Checkout API: the routes where a payment meets a booking, thin views over
checkout.services. Paths and operation ids are the contract's (Booking confirm, Payments
create-intent, webhook and fake pay); config/urls.py mounts them under /booking and /payment.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors as booking_selectors
from bookings.apis import NOT_FOUND, UNAUTHENTICATED, BookingOutputSerializer, booking_data
from config.api import ErrorSerializer, StrictCharField, id_path_parameter
from config.api import error_response as _error

from . import selectors, services


class BookingConfirmApi(APIView):
    partial_patch = False  # the body is required whole (config.api.AutoSchema)

    class InputSerializer(serializers.Serializer):
        payment_intent_id = StrictCharField(max_length=255)

    @extend_schema(
        operation_id="booking_confirm",
        summary="Confirm a booking once its payment succeeded (repeating it is harmless)",
        description=(
            "The payment is verified with the provider. A booking paid after its hold "
            "expired is confirmed if its seats are still free; otherwise the payment is "
            "refunded and 409 `booking_expired` answers (with `refunded: true`). A cancelled "
            "booking that was paid is refunded: 409 `booking_cancelled`."
        ),
        request=InputSerializer,
        parameters=[id_path_parameter("id", "Booking id")],
        responses={
            200: BookingOutputSerializer,
            400: _error("Bad input", "invalid"),
            401: UNAUTHENTICATED,
            402: _error("The payment has not succeeded", "payment_not_completed"),
            404: NOT_FOUND,
            409: _error(
                "The hold expired and its seats are gone, or the booking was cancelled",
                "booking_expired",
                "booking_cancelled",
            ),
        },
        tags=["booking"],
    )
    def patch(self, request, pk: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = booking_selectors.booking_get(user=request.user, booking_id=int(pk))
        outcome = services.booking_confirm(booking_id=booking.pk, **serializer.validated_data)
        refusal = outcome.refusal()
        if refusal is not None:
            raise refusal
        return Response(
            booking_data(booking_selectors.booking_get(user=request.user, booking_id=booking.pk))
        )


class PaymentIntentCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        booking_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

    class OutputSerializer(serializers.Serializer):
        payment_intent_id = serializers.CharField(source="intent_id")
        client_secret = serializers.CharField()
        amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        currency = serializers.CharField()
        provider = serializers.CharField()

    @extend_schema(
        operation_id="payment_create_intent",
        summary="Create (or get again) the payment intent of one of your pending bookings",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid"),
            401: OpenApiResponse(ErrorSerializer, description="not authenticated"),
            404: OpenApiResponse(ErrorSerializer, description="not_found: not your booking"),
            409: OpenApiResponse(ErrorSerializer, description="booking_not_pending"),
            502: OpenApiResponse(ErrorSerializer, description="payment_provider_error"),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = selectors.booking_get_for_payment(
            user=request.user, booking_id=data.validated_data["booking_id"]
        )
        payment = services.booking_payment_start(booking=booking)
        return Response(self.OutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class StripeWebhookApi(APIView):
    """Stripe calls this: no user, no CSRF; the signature over the raw body is the auth."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="payment_webhook_stripe",
        summary="Stripe webhook (signed with STRIPE_WEBHOOK_SECRET)",
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature over the raw body; without a valid one: 400.",
            )
        ],
        responses={
            200: inline_serializer(
                "WebhookReceived",
                fields={"received": serializers.BooleanField(), "outcome": serializers.CharField()},
            ),
            400: OpenApiResponse(ErrorSerializer, description="bad_signature"),
        },
    )
    def post(self, request):
        # request.body, not request.data: the signature covers the exact bytes Stripe sent.
        outcome = services.stripe_webhook_receive(
            payload=request.body,
            signature_header=request.headers.get("Stripe-Signature", ""),
        )
        return Response({"received": True, "outcome": outcome})


class FakePaymentPayApi(APIView):
    """The fake provider's card payment (only with PAYMENT_PROVIDER=fake). Like Stripe's
    client-side confirm, the unguessable intent id is the capability; no money moves."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        card_number = StrictCharField(max_length=32)

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        payment_intent_id = serializers.CharField(source="intent_id")
        booking_id = serializers.IntegerField()

    @extend_schema(
        operation_id="payment_fake_pay",
        summary="Pay a fake payment intent with a test card",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid"),
            402: OpenApiResponse(ErrorSerializer, description="card_declined (with decline_code)"),
            404: OpenApiResponse(
                ErrorSerializer, description="not_found: unknown intent or provider off"
            ),
        },
    )
    def post(self, request, payment_intent_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.fake_payment_pay(
            payment_intent_id=payment_intent_id,
            card_number=data.validated_data["card_number"],
        )
        return Response(self.OutputSerializer(payment).data)
