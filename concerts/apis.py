"""GET /api/v1/concert and /api/v1/concert/{id}: the public catalog (contract `concert`)."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from concerts.errors import ConcertNotFound
from concerts.selectors import concert_get, concert_list
from config.api import INVALID_RESPONSE, error_response, id_path_parameter
from config.throttles import AnonRateThrottle, UserRateThrottle

NOT_FOUND_RESPONSE = error_response("No published concert with this id", "not_found")


class ConcertOutputSerializer(serializers.Serializer):
    class CategoryOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        price = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
        currency = serializers.SerializerMethodField()
        total_seats = serializers.IntegerField()
        available_seats = serializers.IntegerField()

        def get_currency(self, category) -> str:
            return category.currency.lower()

    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    venue = serializers.CharField()
    timezone = serializers.CharField(
        help_text="The venue's IANA time zone, for showing times; the times stay UTC."
    )
    starts_at = serializers.DateTimeField()
    sale_starts_at = serializers.DateTimeField()
    description = serializers.CharField()
    total_seats = serializers.IntegerField(source="seats_total", help_text="Sum over categories.")
    available_seats = serializers.IntegerField(
        source="seats_available", help_text="Sum over categories."
    )
    categories = CategoryOutputSerializer(many=True)


class CatalogApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


class ConcertListApi(CatalogApi):
    class FilterSerializer(serializers.Serializer):
        upcoming = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="concert_list",
        summary="Published concerts, soonest first",
        parameters=[
            OpenApiParameter(
                "upcoming", bool, description="Only concerts that have not started yet."
            )
        ],
        responses={200: ConcertOutputSerializer(many=True), 400: INVALID_RESPONSE},
        tags=["concerts"],
    )
    def get(self, request):
        # A plain dict, not the QueryDict: DRF reads an empty `upcoming=` in a QueryDict as
        # false, a value the schema (boolean) does not allow.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        concerts = concert_list(upcoming_only=filters.validated_data["upcoming"])
        return Response(ConcertOutputSerializer(concerts, many=True).data)


class ConcertDetailApi(CatalogApi):
    @extend_schema(
        operation_id="concert_retrieve",
        summary="One published concert",
        parameters=[id_path_parameter("id", "Concert id (anything else: 404)")],
        responses={200: ConcertOutputSerializer, 404: NOT_FOUND_RESPONSE},
        tags=["concerts"],
    )
    def get(self, request, pk: str):
        # Any id that is not a plain number is simply not a concert: 404, never 500.
        if not (pk.isascii() and pk.isdigit()):
            raise ConcertNotFound()
        concert = concert_get(concert_id=int(pk))
        return Response(ConcertOutputSerializer(concert).data)
