"""The Queue API (/api/v1/queue): thin views over queueing.services.

`status` is the hot path (every waiting fan polls it): it authenticates the JWT without
loading the user (TokenUser) and is answered from Redis alone, with no database query.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from concerts.selectors import concert_get
from config.api import INVALID_RESPONSE as INVALID
from config.api import error_response as _error
from queueing import services
from queueing.state import QueueState, QueueStatus

MAX_ID = 2**63 - 1


UNAUTHENTICATED = _error("`not_authenticated` or `token_not_valid`: no valid access token.")


class ConcertIdInputSerializer(serializers.Serializer):
    concert_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class QueueStateOutputSerializer(serializers.Serializer):
    concert_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[status.value for status in QueueStatus])
    position = serializers.IntegerField(
        allow_null=True, help_text="1-based; null in the pre-queue and when not waiting."
    )
    queue_length = serializers.IntegerField()
    estimated_wait_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Fans ahead / admissions per second measured (queueing.state); null until "
        "measured.",
    )
    active_until = serializers.DateTimeField(allow_null=True)
    sale_starts_at = serializers.DateTimeField(allow_null=True)


def _body(state: QueueState) -> dict:
    return QueueStateOutputSerializer(state).data


class QueueJoinApi(APIView):
    @extend_schema(
        operation_id="queue_join",
        summary="Join a concert's waiting room (idempotent)",
        description=(
            "Joining again keeps the first place. From QUEUE_PREQUEUE_SECONDS before the sale "
            "the fan enters the pre-queue (position null), drawn at random at sale start."
        ),
        request=ConcertIdInputSerializer,
        responses={
            200: QueueStateOutputSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            404: _error("`not_found`: no such published concert."),
            409: _error("`sale_not_open` (too early, or the concert has begun); `sold_out`."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        concert = concert_get(
            concert_id=serializer.validated_data["concert_id"], with_categories=False
        )
        state = services.queue_join(user_id=request.user.pk, concert=concert)
        return Response(_body(state))


class QueueStatusApi(APIView):
    # No database: the user id comes from the token itself.
    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_status",
        summary="Where I stand in a concert's waiting room",
        description=(
            "Answered from Redis alone. Polling it also tells the waiting room you are still "
            "there: a fan silent for QUEUE_ABANDON_SECONDS loses the place."
        ),
        parameters=[ConcertIdInputSerializer],
        responses={200: QueueStateOutputSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        state = services.queue_status(
            user_id=int(request.user.id), concert_id=serializer.validated_data["concert_id"]
        )
        return Response(_body(state))


class QueueLeaveApi(APIView):
    @extend_schema(
        operation_id="queue_leave",
        summary="Leave a concert's waiting room (or give up the active slot)",
        request=ConcertIdInputSerializer,
        responses={204: None, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.queue_leave(
            user_id=request.user.pk, concert_id=serializer.validated_data["concert_id"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
