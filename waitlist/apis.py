"""Waiting-list API: thin views over waitlist.services and waitlist.selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.apis import BookingOutputSerializer, booking_data
from config.api import SettingBoundedIntegerField, id_path_parameter
from config.api import error_response as _error
from waitlist import errors, selectors, services
from waitlist.models import WaitlistEntry, WaitlistOffer

MAX_ID = selectors.MAX_ID
UNAUTHENTICATED = _error("Missing or invalid credentials", "not_authenticated")


class OfferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WaitlistOffer.Status.choices)
    expires_at = serializers.DateTimeField()


class EntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    concert_id = serializers.IntegerField()
    category_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices)
    position = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    offer = serializers.SerializerMethodField()

    def get_position(self, entry: WaitlistEntry) -> int | None:
        return selectors.entry_position(entry)

    @extend_schema_field(OfferOutputSerializer(allow_null=True))
    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        offer = getattr(entry, "offer", None)  # the reverse one-to-one raises when absent
        return None if offer is None else OfferOutputSerializer(offer).data


class WaitlistJoinApi(APIView):
    class InputSerializer(serializers.Serializer):
        concert_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        category_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        quantity = SettingBoundedIntegerField(
            min_value=1,
            max_setting="MAX_TICKETS_PER_BOOKING",
            range_message="Choose between 1 and {limit} tickets.",
        )

    @extend_schema(
        operation_id="waitlist_join",
        summary="Join a sold-out category's waiting list",
        request=InputSerializer,
        responses={
            201: EntryOutputSerializer,
            400: _error("Quantity outside 1..MAX_TICKETS_PER_BOOKING, or bad input", "invalid"),
            401: UNAUTHENTICATED,
            404: _error("Unknown category (or not of that concert)", "not_found"),
            409: _error(
                "Seats are on sale in this category (join the waiting room); already on this "
                "list; or held tickets + quantity would exceed MAX_TICKETS_PER_FAN",
                "seats_available",
                "waitlist_entry_exists",
                "ticket_limit_reached",
            ),
        },
        tags=["waitlist"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.waitlist_join(
            user=request.user,
            concert_id=data["concert_id"],
            category_id=data["category_id"],
            quantity=data["quantity"],
        )
        entry = selectors.waitlist_entry_get(user=request.user, entry_id=entry.pk)
        return Response(EntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitlistMineApi(APIView):
    @extend_schema(
        operation_id="waitlist_mine",
        summary="The fan's waiting-list entries (newest first), with place and offer",
        responses={200: EntryOutputSerializer(many=True), 401: UNAUTHENTICATED},
        tags=["waitlist"],
    )
    def get(self, request):
        entries = selectors.waitlist_entries_of_fan(user=request.user)
        return Response(EntryOutputSerializer(entries, many=True).data)


class WaitlistEntryApi(APIView):
    @extend_schema(
        operation_id="waitlist_leave",
        summary="Leave the list (an open offer is withdrawn; its seats go to the next fan)",
        parameters=[id_path_parameter("pk")],
        responses={
            204: None,
            401: UNAUTHENTICATED,
            404: _error("No such entry of yours", "not_found"),
        },
        tags=["waitlist"],
    )
    def delete(self, request, pk: str):
        entry_id = int(pk)
        if not 0 < entry_id <= MAX_ID:
            raise errors.WaitlistEntryNotFound()
        services.waitlist_leave(user=request.user, entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistOfferAcceptApi(APIView):
    @extend_schema(
        operation_id="waitlist_offer_accept",
        summary="Take an open offer: a pending booking on its reserved seats",
        request=None,
        parameters=[id_path_parameter("pk")],
        responses={
            201: BookingOutputSerializer,
            401: UNAUTHENTICATED,
            404: _error("No such offer of yours", "not_found"),
            409: _error(
                "The offer was taken, lapsed or withdrawn; another booking waits for payment; "
                "or the fan's tickets would exceed MAX_TICKETS_PER_FAN",
                "offer_not_open",
                "pending_booking_exists",
                "ticket_limit_reached",
            ),
        },
        tags=["waitlist"],
    )
    def post(self, request, pk: str):
        offer_id = int(pk)
        if not 0 < offer_id <= MAX_ID:
            raise errors.WaitlistOfferNotFound()
        booking = services.waitlist_offer_accept(user=request.user, offer_id=offer_id)
        return Response(booking_data(booking), status=status.HTTP_201_CREATED)
