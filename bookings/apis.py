"""Booking and check-in API: thin views over bookings.services and bookings.selectors.

The hold (POST /booking) also has a fast view (config.fastapi, settings.FAST_API_ROUTES)
for a valid token with well-formed input; BookingCreateApi answers everything else and
documents the route.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.models import Booking, Ticket
from bookings.presenters import iso_datetime, ticket_summary
from config.api import SettingBoundedIntegerField, StrictCharField, id_path_parameter
from config.api import error_response as _error
from config.audit import audit_log
from config.errors import DomainError
from config.fastapi import domain_error_json, json_object_body, json_response, positive_id
from config.fastapi import token_user_id as _token_user_id

MAX_ID = selectors.MAX_ID

NOT_FOUND = _error("No such booking of yours", "not_found")
UNAUTHENTICATED = _error("Missing or invalid credentials", "not_authenticated")


class TicketOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    category = serializers.CharField(source="booking.category.name")
    seat_label = serializers.SerializerMethodField()
    status = serializers.CharField()

    def get_seat_label(self, ticket) -> str | None:
        return ticket.seat_label or None


class BookingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    concert_id = serializers.IntegerField()
    category_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    tickets = serializers.SerializerMethodField()

    @extend_schema_field(TicketOutputSerializer(many=True))
    def get_tickets(self, booking: Booking) -> list:
        # Tickets are shown only while the booking stands ([] when pending, cancelled...).
        if booking.status != Booking.Status.CONFIRMED:
            return []
        tickets = list(booking.tickets.all())
        for ticket in tickets:
            ticket.booking = booking  # reuse the selected category: no query per ticket
        return TicketOutputSerializer(tickets, many=True).data


def booking_data(booking: Booking) -> dict:
    return BookingOutputSerializer(booking).data


class BookingCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        category_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        quantity = SettingBoundedIntegerField(
            min_value=1,
            max_setting="MAX_TICKETS_PER_BOOKING",
            range_message="Choose between 1 and {limit} tickets.",
        )

        def validate_quantity(self, quantity: int) -> int:
            limit = settings.MAX_TICKETS_PER_BOOKING
            if not 1 <= quantity <= limit:
                raise serializers.ValidationError(f"Choose between 1 and {limit} tickets.")
            return quantity

    @extend_schema(
        operation_id="booking_create",
        summary="Hold seats: a pending booking for BOOKING_HOLD_SECONDS",
        request=InputSerializer,
        responses={
            201: BookingOutputSerializer,
            400: _error("Quantity outside 1..MAX_TICKETS_PER_BOOKING, or bad input", "invalid"),
            401: UNAUTHENTICATED,
            403: _error("No active waiting-room slot for this concert", "queue_slot_required"),
            404: _error("Unknown ticket category", "not_found"),
            409: _error(
                "Not enough seats left; another booking is waiting for payment; or the fan's "
                "pending + confirmed tickets for the concert would exceed MAX_TICKETS_PER_FAN",
                "insufficient_seats",
                "pending_booking_exists",
                "ticket_limit_reached",
            ),
        },
        tags=["booking"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_create(user=request.user, **serializer.validated_data)
        return Response(booking_data(booking), status=status.HTTP_201_CREATED)


class BookingPendingApi(APIView):
    @extend_schema(
        operation_id="booking_pending_get",
        summary="The fan's booking waiting for payment",
        responses={200: BookingOutputSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        tags=["booking"],
    )
    def get(self, request):
        return Response(booking_data(selectors.booking_pending_get(user=request.user)))

    @extend_schema(
        operation_id="booking_pending_cancel",
        summary="Cancel the pending booking; its seats go back to sale",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        tags=["booking"],
    )
    def delete(self, request):
        services.booking_cancel(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookingConfirmedApi(APIView):
    @extend_schema(
        operation_id="booking_confirmed_get",
        summary="One of the fan's confirmed bookings, with its tickets",
        parameters=[id_path_parameter("id", "Booking id")],
        responses={200: BookingOutputSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
        tags=["booking"],
    )
    def get(self, request, pk: str):
        booking = selectors.booking_confirmed_get(user=request.user, booking_id=int(pk))
        return Response(booking_data(booking))


class BookingMineApi(APIView):
    @extend_schema(
        operation_id="booking_mine",
        summary="The fan's confirmed bookings, with tickets",
        responses={200: BookingOutputSerializer(many=True), 401: UNAUTHENTICATED},
        tags=["booking"],
    )
    def get(self, request):
        bookings = selectors.booking_list_confirmed(user=request.user)
        return Response(BookingOutputSerializer(bookings, many=True).data)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class CheckinTicketSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    seat_label = serializers.CharField(allow_null=True)
    booking_reference = serializers.CharField()
    concert = serializers.CharField()
    holder = serializers.CharField()


class CheckinApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        code = StrictCharField(max_length=200, trim_whitespace=True)
        # Optional for API compatibility; the door page always sends it. With it, a ticket
        # of another concert or outside its door window is refused.
        concert_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        door = StrictCharField(max_length=40, required=False, allow_blank=True)

    TicketSerializer = CheckinTicketSerializer

    @extend_schema(
        operation_id="checkin",
        summary="Admit a ticket at the door (staff only); two scans at once admit it once",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="CheckinResult",
                fields={
                    "result": serializers.ChoiceField(choices=[Ticket.Status.CHECKED_IN.value]),
                    "ticket": CheckinTicketSerializer(),
                    "checked_in_at": serializers.DateTimeField(),
                },
            ),
            400: _error("Bad input", "invalid"),
            401: UNAUTHENTICATED,
            403: _error("Not staff", "permission_denied"),
            404: _error("No ticket has this code", "unknown_ticket"),
            409: _error(
                "Already checked in (the body has `checked_in_at` and `ticket`), the "
                "ticket is void (its booking was cancelled), for another concert than "
                "`concert_id` (the body has `concert`), or the concert's doors are not "
                "open now (`doors_open_at`, `doors_close_at`)",
                "already_checked_in",
                "ticket_void",
                "wrong_concert",
                "outside_door_window",
            ),
        },
        tags=["checkin"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_check_in(
            code=data["code"], concert_id=data.get("concert_id"), door=data.get("door", "")
        )
        return Response(
            {
                "result": Ticket.Status.CHECKED_IN,
                "ticket": ticket_summary(ticket),
                "checked_in_at": iso_datetime(ticket.checked_in_at),
            }
        )


# --- Fast view (config.fastapi): the common case only; None lets the APIView answer ------
def booking_create_fast(request: HttpRequest) -> HttpResponse | None:
    """POST /booking: the user row (is_active, as JWTAuthentication checks it), then
    booking_create; a refusal answers the domain error's body, as the APIView would."""
    user_id = _token_user_id(request)
    body = json_object_body(request) if user_id is not None else None
    if body is None:
        return None
    category_id, quantity = body.get("category_id"), body.get("quantity")
    if (
        type(category_id) is not int
        or positive_id(category_id) is None
        or type(quantity) is not int
        or not 1 <= quantity <= settings.MAX_TICKETS_PER_BOOKING
    ):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).only("pk").first()
    if user is None:
        return None
    try:
        booking = services.booking_create(user=user, category_id=category_id, quantity=quantity)
    except DomainError as error:
        return domain_error_json(error)
    return json_response(booking_data(booking), status=status.HTTP_201_CREATED)


class CheckinUndoApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        code = StrictCharField(max_length=200, trim_whitespace=True)

    @extend_schema(
        operation_id="checkin_undo",
        summary="Undo a check-in made by mistake (staff only; written to the audit log)",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="CheckinUndoResult",
                fields={
                    "result": serializers.ChoiceField(choices=[Ticket.Status.VALID.value]),
                    "ticket": CheckinTicketSerializer(),
                },
            ),
            400: _error("Bad input", "invalid"),
            401: UNAUTHENTICATED,
            403: _error("Not staff", "permission_denied"),
            404: _error("No ticket has this code", "unknown_ticket"),
            409: _error(
                "The ticket is not checked in, or is void", "not_checked_in", "ticket_void"
            ),
        },
        tags=["checkin"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_check_in_undo(code=serializer.validated_data["code"])
        audit_log(user=request.user, obj=ticket, message=services.CHECKIN_UNDO_AUDIT)
        return Response({"result": Ticket.Status.VALID, "ticket": ticket_summary(ticket)})


class CheckinStatsApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        concert_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    @extend_schema(
        operation_id="checkin_stats",
        summary="Live door counts of a concert: tickets checked in and sold (not void)",
        parameters=[InputSerializer],
        responses={
            200: inline_serializer(
                name="CheckinStats",
                fields={
                    "concert_id": serializers.IntegerField(),
                    "checked_in": serializers.IntegerField(),
                    "sold": serializers.IntegerField(),
                },
            ),
            400: _error("Bad input", "invalid"),
            401: UNAUTHENTICATED,
            403: _error("Not staff", "permission_denied"),
        },
        tags=["checkin"],
    )
    def get(self, request):
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        concert_id = serializer.validated_data["concert_id"]
        return Response(
            {"concert_id": concert_id, **selectors.checkin_stats(concert_id=concert_id)}
        )
