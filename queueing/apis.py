"""The Queue API (/api/v1/queue): thin views over queueing.services.

`status` is the hot path (every waiting fan polls it): it authenticates the JWT without
loading the user (TokenUser) and is answered from Redis alone, with no database query.
`join` and `status` also have a fast view (config.fastapi, settings.FAST_API_ROUTES) that
answers a valid token with well-formed input without DRF; the APIView classes below
answer everything else (authentication and input errors) and document the routes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from concerts.selectors import concert_get
from config.api import INVALID_RESPONSE as INVALID
from config.api import StrictCharField
from config.api import error_response as _error
from config.errors import DomainError
from config.fastapi import domain_error_json, json_object_body, json_response, positive_id
from config.fastapi import token_user_id as _token_user_id
from queueing import challenge as queue_challenge
from queueing import selectors, services
from queueing.challenge import MAX_PAYLOAD_CHARS
from queueing.state import LineReason, LineState, QueueState, QueueStatus

MAX_ID = 2**63 - 1


UNAUTHENTICATED = _error("`not_authenticated` or `token_not_valid`: no valid access token.")


class ConcertIdInputSerializer(serializers.Serializer):
    concert_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class QueueJoinInputSerializer(ConcertIdInputSerializer):
    altcha = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_PAYLOAD_CHARS,
        help_text="The solved proof of work (ALTCHA's base64 payload), when the concert asks "
        "one: see GET /api/v1/queue/challenge and docs/challenge.md. A fan already in line "
        "may join again without it (the place is kept).",
    )


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
    line = serializers.ChoiceField(
        choices=[state.value for state in LineState],
        help_text="Why the line is or is not moving: `open` (admitting while seats are free), "
        "`paused` (see line_reason), `sold_out` (no seat left and none held: the line is "
        "closed; the waiting list is open).",
    )
    line_reason = serializers.ChoiceField(
        choices=[reason.value for reason in LineReason],
        allow_null=True,
        help_text="Null while open. `paused_by_staff` (admission paused or the cap set to 0), "
        "`seats_held` (every seat left is held by fans paying: some may come back, and the "
        "line then moves on in order), `sold_out`. The estimate is null unless the line is "
        "open.",
    )
    poll_after_seconds = serializers.FloatField(
        help_text="When to ask again, in seconds (with jitter): about 2 s near the front or "
        "while active, longer further back (a share of the estimated wait, at most 60 s), "
        "just after sale start in the pre-queue. Always well below QUEUE_ABANDON_SECONDS: "
        "a fan who polls when told keeps the place."
    )


def _body(state: QueueState) -> dict:
    # The schema above documents it; QueueState.as_json is the one place that shapes it,
    # for this view and the fast ones below alike.
    return state.as_json()


class QueueJoinApi(APIView):
    @extend_schema(
        operation_id="queue_join",
        summary="Join a concert's waiting room (idempotent)",
        description=(
            "Joining again keeps the first place. From QUEUE_PREQUEUE_SECONDS before the sale "
            "the fan enters the pre-queue (position null); at sale start the pre-queue is "
            "ordered by the published draw (GET /queue/draw, docs/draw.md)."
        ),
        request=QueueJoinInputSerializer,
        responses={
            200: QueueStateOutputSerializer,
            401: UNAUTHENTICATED,
            404: _error("`not_found`: no such published concert."),
            400: _error(
                "`invalid`: field errors; `challenge_invalid`: the proof of work is not one "
                "we issued to this fan for this concert, or its answer is wrong."
            ),
            403: _error("`challenge_required`: the concert asks a proof of work at join."),
            409: _error(
                "`sale_not_open` (too early, or the concert has begun); `sold_out` (no seat "
                "left: the waiting list is open); `ticket_limit_reached` (the fan already "
                "holds MAX_TICKETS_PER_FAN tickets for the concert; `limit`, `held`); "
                "`challenge_expired`, `challenge_used` (fetch a new challenge)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = QueueJoinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        concert = concert_get(
            concert_id=serializer.validated_data["concert_id"], with_categories=False
        )
        state = services.queue_join(
            user_id=request.user.pk,
            concert=concert,
            challenge=serializer.validated_data.get("altcha") or None,
        )
        return Response(_body(state))


class ChallengeParametersOutputSerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="`SHA-256`: one hash per attempt.")
    nonce = serializers.CharField()
    salt = serializers.CharField()
    cost = serializers.IntegerField()
    keyLength = serializers.IntegerField()  # ALTCHA's JSON names
    keyPrefix = serializers.CharField(
        help_text="The start of the key the counter derives: find the counter."
    )
    expiresAt = serializers.IntegerField(help_text="Unix time, seconds.")
    data = serializers.DictField(help_text="`{concert, fan}`: whom the challenge is for.")


class QueueChallengeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        required = serializers.BooleanField(
            help_text="false: this concert asks no proof of work (join without `altcha`)."
        )
        parameters = ChallengeParametersOutputSerializer(required=False)
        signature = serializers.CharField(required=False)

    @extend_schema(
        operation_id="queue_challenge",
        summary="A proof-of-work challenge to join a concert's waiting room",
        description=(
            "ALTCHA v2, deterministic mode: find the counter n (from 0 up) whose key "
            "SHA-256(salt bytes + nonce bytes + n as 4 big-endian bytes) starts with "
            "keyPrefix, then send base64(JSON {challenge: {parameters, signature}, solution: "
            "{counter, derivedKey}}) as `altcha` to POST /join. Bound to this fan and concert, "
            "single use, valid until expiresAt. `{required: false}` when the concert asks none."
        ),
        parameters=[ConcertIdInputSerializer],
        responses={
            200: OutputSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            404: _error("`not_found`: no such published concert."),
        },
    )
    def get(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        concert = concert_get(
            concert_id=serializer.validated_data["concert_id"], with_categories=False
        )
        challenge = queue_challenge.challenge_issue(concert=concert, user_id=request.user.pk)
        if challenge is None:
            return Response({"required": False})
        return Response({"required": True, **challenge})


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


class DrawReceiptOutputSerializer(serializers.Serializer):
    concert_id = serializers.IntegerField()
    entry_id = serializers.CharField(
        allow_null=True,
        help_text="The fan's pre-queue receipt (32 hex characters, random, not the user "
        "id); null if the fan never joined this concert's pre-queue.",
    )
    commitment = serializers.CharField(
        allow_null=True, help_text="sha256 of the draw's secret seed, hex (docs/draw.md)."
    )
    drawn = serializers.BooleanField()
    draw_rank = serializers.IntegerField(
        allow_null=True, help_text="1-based place in the published draw; null until drawn."
    )


class DrawReceiptApi(APIView):
    @extend_schema(
        operation_id="queue_receipt",
        summary="My pre-queue receipt for a concert's draw",
        parameters=[ConcertIdInputSerializer],
        responses={200: DrawReceiptOutputSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        receipt = selectors.draw_receipt(
            user_id=request.user.pk, concert_id=serializer.validated_data["concert_id"]
        )
        return Response(receipt.as_json())


class DrawOutputSerializer(serializers.Serializer):
    concert_id = serializers.IntegerField()
    algorithm = serializers.CharField(help_text='Always "HMAC-SHA256".')
    commitment = serializers.CharField(
        allow_null=True,
        help_text="sha256(seed bytes), hex: published when the pre-queue opens; null before.",
    )
    seed = serializers.CharField(
        allow_null=True, help_text="32 bytes, hex: published only once drawn, else null."
    )
    drawn_at = serializers.DateTimeField(allow_null=True)
    entries = serializers.ListField(
        child=serializers.CharField(),
        help_text="The pre-queue's entry ids in drawn order (ascending "
        "HMAC-SHA256(seed, entry_id)); empty until drawn.",
    )


class DrawApi(APIView):
    """Public: anyone may check the draw (docs/draw.md); `verify_draw --file` reads this."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(
        operation_id="queue_draw",
        summary="A concert's pre-queue draw: the commitment, then the seed and the order",
        parameters=[ConcertIdInputSerializer],
        responses={
            200: DrawOutputSerializer,
            400: INVALID,
            404: _error("`not_found`: no such published concert."),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        serializer = ConcertIdInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        concert = concert_get(
            concert_id=serializer.validated_data["concert_id"], with_categories=False
        )
        return Response(selectors.draw_publication(concert_id=concert.pk).as_json())


# --- Fast views (config.fastapi): the common case only; None lets the APIView answer ------
def queue_status_fast(request: HttpRequest) -> HttpResponse | None:
    """GET status: one JWT check, one Redis script, no database query."""
    user_id = _token_user_id(request)
    concert_id = positive_id(request.GET.get("concert_id"))
    if user_id is None or concert_id is None:
        return None
    state = services.queue_status(user_id=user_id, concert_id=concert_id)
    return json_response(_body(state))


def queue_join_fast(request: HttpRequest) -> HttpResponse | None:
    """POST join: the user's is_active (as JWTAuthentication checks it), the concert with
    its seat totals, one Redis script, and one upsert of the durable record on a new place."""
    user_id = _token_user_id(request)
    body = json_object_body(request) if user_id is not None else None
    concert_id = positive_id(body.get("concert_id")) if body is not None else None
    if user_id is None or concert_id is None or isinstance(body["concert_id"], str):
        return None
    solution = body.get("altcha")
    if "altcha" in body and not _plain_string(solution, MAX_PAYLOAD_CHARS):
        return None  # the APIView explains (400 invalid)
    # A deactivated account is refused here as JWTAuthentication refuses it (its 401
    # body comes from the APIView); the status poll does not look (no database query).
    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        return None
    try:
        concert = concert_get(concert_id=concert_id, with_categories=False)
        state = services.queue_join(user_id=user_id, concert=concert, challenge=solution or None)
    except DomainError as error:
        return domain_error_json(error)
    return json_response(_body(state))


def _plain_string(value: object, max_length: int) -> bool:
    """What QueueJoinInputSerializer's StrictCharField accepts: a JSON string, no NUL."""
    return isinstance(value, str) and len(value) <= max_length and "\x00" not in value
