"""The proof of work at join (queueing.challenge, docs/challenge.md): issued, solved with a
real solver (ALTCHA's own), checked once; every way a solution can be wrong is refused
with its own code, and counted for the staff report."""

import base64
import json
import threading
from datetime import timedelta

import altcha
import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from queueing import challenge as queue_challenge
from queueing import redis_queue, services
from queueing.errors import (
    ChallengeExpired,
    ChallengeInvalid,
    ChallengeRequired,
    ChallengeUsed,
    InvalidChallengeDifficulty,
)
from queueing.models import QueueControl
from queueing.state import QueueStatus
from tests.concurrency import outcome_codes, returned_values, run_concurrently
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db

CHALLENGE = "/api/v1/queue/challenge"
JOIN = "/api/v1/queue/join"


@pytest.fixture
def challenge_on(settings):
    """Every concert asks a small proof of work (a few hundred hashes: fast tests)."""
    settings.QUEUE_CHALLENGE_MAXNUMBER = 300


def solve(issued: dict) -> str:
    """What the page's workers do, with ALTCHA's Python solver: the base64 payload."""
    challenge = altcha.Challenge.from_dict(issued)
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def solved_for(concert, fan) -> str:
    return solve(queue_challenge.challenge_issue(concert=concert, user_id=fan.pk))


def rewrite(payload: str, change) -> str:
    body = json.loads(base64.b64decode(payload))
    change(body)
    return base64.b64encode(json.dumps(body).encode()).decode()


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


# --- off ---------------------------------------------------------------------------------
def test_with_difficulty_0_fans_join_without_a_solution(concert, user, settings, client):
    assert settings.QUEUE_CHALLENGE_MAXNUMBER == 0  # off unless turned on
    client.force_login(user)
    page = client.get(reverse("queueing:room", kwargs={"concert_id": concert.pk}))
    assert 'data-required="0"' in page.content.decode()  # the page fetches no challenge
    assert queue_challenge.challenge_issue(concert=concert, user_id=user.pk) is None
    assert bearer(user).get(CHALLENGE, {"concert_id": concert.pk}).json() == {"required": False}
    state = services.queue_join(user_id=user.pk, concert=concert)
    assert state.status == QueueStatus.WAITING


# --- the round trip ----------------------------------------------------------------------
def test_a_solved_challenge_lets_the_fan_in_once(challenge_on, concert, user):
    payload = solved_for(concert, user)
    state = services.queue_join(user_id=user.pk, concert=concert, challenge=payload)
    assert state.position == 1
    assert queue_challenge.challenge_counts(concert.pk) == {
        "issued": 1,
        "solved": 1,
        "failed": 0,
        "failed_by_code": {},
    }


def test_the_challenge_is_altchas_json_bound_to_the_fan_and_the_concert(
    challenge_on, concert, user
):
    body = bearer(user).get(CHALLENGE, {"concert_id": concert.pk}).json()
    assert body["required"] is True
    parameters = body["parameters"]
    assert parameters["algorithm"] == "SHA-256"
    assert parameters["data"] == {"concert": concert.pk, "fan": user.pk}
    lifetime = parameters["expiresAt"] - timezone.now().timestamp()
    assert 290 < lifetime <= 301
    assert len(body["signature"]) == 64
    # The answer is a counter from 0 to maxnumber (ALTCHA's deterministic mode).
    solution = altcha.solve_challenge(altcha.Challenge.from_dict(body))
    assert 0 <= solution.counter <= 300


def test_no_solution_is_refused_when_the_concert_asks_one(challenge_on, concert, user):
    with pytest.raises(ChallengeRequired):
        services.queue_join(user_id=user.pk, concert=concert)
    with pytest.raises(ChallengeRequired):
        services.queue_join(user_id=user.pk, concert=concert, challenge="")
    assert services.queue_status(user_id=user.pk, concert_id=concert.pk).status == "none"
    assert queue_challenge.challenge_counts(concert.pk)["failed_by_code"] == {
        "challenge_required": 2
    }


def test_a_fan_already_in_line_keeps_the_place_without_a_new_solution(challenge_on, concert, user):
    services.queue_join(user_id=user.pk, concert=concert, challenge=solved_for(concert, user))
    again = services.queue_join(user_id=user.pk, concert=concert)
    assert again.position == 1


def test_a_fan_whose_place_was_lost_must_solve_again(challenge_on, concert, user, settings):
    services.queue_join(user_id=user.pk, concert=concert, challenge=solved_for(concert, user))
    later = timezone.now() + timedelta(seconds=settings.QUEUE_ABANDON_SECONDS + 1)
    with time_machine.travel(later, tick=False), pytest.raises(ChallengeRequired):
        services.queue_join(user_id=user.pk, concert=concert)


# --- refused solutions -------------------------------------------------------------------
def test_a_replayed_solution_is_refused(challenge_on, concert, user):
    payload = solved_for(concert, user)
    services.queue_join(user_id=user.pk, concert=concert, challenge=payload)
    services.queue_leave(user_id=user.pk, concert_id=concert.pk)
    with pytest.raises(ChallengeUsed):
        services.queue_join(user_id=user.pk, concert=concert, challenge=payload)
    # A solution sent is always checked, even by a fan who is in line.
    services.queue_join(user_id=user.pk, concert=concert, challenge=solved_for(concert, user))
    with pytest.raises(ChallengeUsed):
        services.queue_join(user_id=user.pk, concert=concert, challenge=payload)


def test_an_expired_solution_is_refused(challenge_on, concert, user, settings):
    payload = solved_for(concert, user)
    later = timezone.now() + timedelta(seconds=settings.QUEUE_CHALLENGE_SECONDS + 2)
    with time_machine.travel(later, tick=False), pytest.raises(ChallengeExpired):
        services.queue_join(user_id=user.pk, concert=concert, challenge=payload)
    # Just before the end it still works.
    almost = timezone.now() + timedelta(seconds=settings.QUEUE_CHALLENGE_SECONDS - 5)
    with time_machine.travel(almost, tick=False):
        services.queue_join(user_id=user.pk, concert=concert, challenge=payload)


def _forged_signature(body):
    body["challenge"]["signature"] = "0" * 64


def _longer_expiry(body):
    body["challenge"]["parameters"]["expiresAt"] += 3600


def _wrong_counter(body):
    body["solution"]["counter"] += 1


def _easier_prefix(body):
    body["challenge"]["parameters"]["keyPrefix"] = body["solution"]["derivedKey"][:4]


def _signed_with_another_key(body):
    forged = altcha.create_challenge(
        "SHA-256", 1, counter=0, expires_at=2_000_000_000, data={}, hmac_secret="guess"
    )
    body["challenge"] = forged.to_dict()


@pytest.mark.parametrize(
    "tamper",
    [_forged_signature, _longer_expiry, _wrong_counter, _easier_prefix, _signed_with_another_key],
)
def test_a_tampered_solution_is_invalid(challenge_on, concert, user, tamper):
    payload = rewrite(solved_for(concert, user), tamper)
    with pytest.raises(ChallengeInvalid):
        services.queue_join(user_id=user.pk, concert=concert, challenge=payload)


@pytest.mark.parametrize(
    "garbage", ["not base64!", base64.b64encode(b"[1, 2]").decode(), "e30=", "x" * 5000]
)
def test_garbage_is_invalid_never_a_crash(challenge_on, concert, user, garbage):
    with pytest.raises(ChallengeInvalid):
        services.queue_join(user_id=user.pk, concert=concert, challenge=garbage)


def test_a_solution_for_another_concert_or_fan_is_invalid(challenge_on, concert, user, make_user):
    other_concert = ConcertFactory()
    TicketCategoryFactory(concert=other_concert)
    with pytest.raises(ChallengeInvalid):
        services.queue_join(
            user_id=user.pk, concert=concert, challenge=solved_for(other_concert, user)
        )
    with pytest.raises(ChallengeInvalid):
        services.queue_join(
            user_id=user.pk, concert=concert, challenge=solved_for(concert, make_user())
        )
    assert queue_challenge.challenge_counts(concert.pk)["failed_by_code"] == {
        "challenge_invalid": 2
    }


# --- staff's difficulty ------------------------------------------------------------------
def test_staff_turn_the_challenge_on_and_off_per_concert(concert, user, make_user, settings):
    queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=300)
    with pytest.raises(ChallengeRequired):
        services.queue_join(user_id=user.pk, concert=concert)
    services.queue_join(user_id=user.pk, concert=concert, challenge=solved_for(concert, user))
    queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=0)
    settings.QUEUE_CHALLENGE_MAXNUMBER = 300  # the default no longer applies: staff said off
    services.queue_join(user_id=make_user().pk, concert=concert)
    queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=None)
    with pytest.raises(ChallengeRequired):
        services.queue_join(user_id=make_user().pk, concert=concert)
    for bad in (-1, queue_challenge.MAX_MAXNUMBER + 1):
        with pytest.raises(InvalidChallengeDifficulty):
            queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=bad)


def test_a_rebuilt_line_keeps_staffs_difficulty(concert, user):
    queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=300)
    redis_queue.clear(concert.pk)  # Redis lost the concert
    with pytest.raises(ChallengeRequired):
        services.queue_join(user_id=user.pk, concert=concert)
    assert QueueControl.objects.get(concert=concert).challenge_maxnumber == 300


# --- the API -----------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_the_join_api_takes_the_solution_and_answers_each_code(challenge_on, concert, user, fast):
    with override_settings(**({} if fast else {"FAST_API_ROUTES": {}})):
        client = bearer(user)
        missing = client.post(JOIN, {"concert_id": concert.pk}, format="json")
        assert (missing.status_code, missing.json()["code"]) == (403, "challenge_required")
        issued = client.get(CHALLENGE, {"concert_id": concert.pk}).json()
        payload = solve(issued)
        joined = client.post(JOIN, {"concert_id": concert.pk, "altcha": payload}, format="json")
        assert joined.status_code == 200
        assert joined.json()["position"] == 1
        replay = client.post(JOIN, {"concert_id": concert.pk, "altcha": payload}, format="json")
        assert (replay.status_code, replay.json()["code"]) == (409, "challenge_used")
        forged = rewrite(solve(issued), _forged_signature)
        bad = client.post(JOIN, {"concert_id": concert.pk, "altcha": forged}, format="json")
        assert (bad.status_code, bad.json()["code"]) == (400, "challenge_invalid")
        for wrong_type in (42, None, ["a"], "a\x00b", "x" * 5000):
            body = {"concert_id": concert.pk, "altcha": wrong_type}
            response = client.post(JOIN, body, format="json")
            assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_the_challenge_api_needs_a_fan_and_a_concert(api_client, challenge_on, concert, user):
    assert api_client.get(CHALLENGE, {"concert_id": concert.pk}).status_code == 401
    client = bearer(user)
    assert client.get(CHALLENGE, {"concert_id": 2**62}).status_code == 404
    assert client.get(CHALLENGE, {"concert_id": "x"}).status_code == 400
    assert client.get(CHALLENGE).status_code == 400


def test_the_schema_documents_the_challenge(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert paths["/api/v1/queue/challenge/"]["get"]["operationId"] == "queue_challenge"
    join = paths["/api/v1/queue/join/"]["post"]
    assert {"400", "403", "409"} <= set(join["responses"])
    assert "challenge_required" in join["responses"]["403"]["description"]


# --- the page and the admin --------------------------------------------------------------
def test_the_page_loads_the_solver_and_the_no_javascript_join_says_why_it_fails(
    challenge_on, client, concert, user
):
    client.force_login(user)
    url = reverse("queueing:room", kwargs={"concert_id": concert.pk})
    page = client.get(url).content.decode()
    assert "queueing/challenge.js" in page
    assert "vendor/altcha/workers/sha.js" in page
    assert 'data-field="challenge"' in page
    assert 'data-required="1"' in page
    response = client.post(url, follow=True)
    assert "Joining this waiting room needs JavaScript" in response.content.decode()
    assert services.queue_status(user_id=user.pk, concert_id=concert.pk).status == "none"


def test_staff_set_the_difficulty_in_the_live_view_and_it_is_audited(client, staff_user, concert):
    from config.audit import audit_entries

    client.force_login(staff_user)
    url = reverse("admin:queueing_live", kwargs={"concert_id": concert.pk})
    response = client.post(url, {"action": "challenge", "challenge_maxnumber": "200000"})
    assert response.status_code == 302
    assert queue_challenge.challenge_maxnumber(concert_id=concert.pk) == 200_000
    page = client.get(url).content.decode()
    assert "Proof of work at join" in page
    assert "on, up to 200000 attempts" in page
    bad = client.post(url, {"action": "challenge", "challenge_maxnumber": "-5"})
    assert bad.status_code == 200
    client.post(url, {"action": "challenge", "challenge_maxnumber": ""})
    assert QueueControl.objects.get(concert=concert).challenge_maxnumber is None
    messages = [entry.change_message for entry in audit_entries(concert)]
    assert messages[:2] == [
        "Proof of work at join set to the default (0).",
        "Proof of work at join set to 200,000 attempts at most.",
    ]


def test_the_fast_join_passes_the_solution_through(challenge_on, concert, user, monkeypatch):
    from rest_framework.views import APIView

    client = bearer(user)
    payload = solve(client.get(CHALLENGE, {"concert_id": concert.pk}).json())

    def refuse(*args, **kwargs):
        raise AssertionError("the request went through DRF")

    monkeypatch.setattr(APIView, "dispatch", refuse)
    joined = client.post(JOIN, {"concert_id": concert.pk, "altcha": payload}, format="json")
    assert joined.status_code == 200
    replay = client.post(JOIN, {"concert_id": concert.pk, "altcha": payload}, format="json")
    assert replay.json()["code"] == "challenge_used"


# --- races -------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_solution_sent_by_many_requests_at_once_joins_once(challenge_on, concert, user):
    payload = solved_for(concert, user)
    results = run_concurrently(
        lambda _: services.queue_join(user_id=user.pk, concert=concert, challenge=payload),
        range(8),
    )
    assert outcome_codes(results) == {"ok": 1, "challenge_used": 7}
    assert queue_challenge.challenge_counts(concert.pk)["solved"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fans_racing_to_replay_each_others_solution_cannot(challenge_on, concert, fans):
    first, second = fans(2)
    payload = solved_for(concert, first)
    results = run_concurrently(
        lambda fan: services.queue_join(user_id=fan.pk, concert=concert, challenge=payload),
        [first, second],
    )
    assert outcome_codes(results) == {"ok": 1, "challenge_invalid": 1}
    assert isinstance(results[1], ChallengeInvalid)


@pytest.mark.control
def test_control_a_check_then_set_lets_one_solution_in_twice(redis_client):
    """Single use written as a read, then a write (GET, then SET): both requests read
    "unused" before either writes, so both join. challenge_redeem is one SET NX."""
    key = "bo:{c7}:challenge-used:control"
    both_read = threading.Barrier(2)

    def naive_redeem(_):
        unused = redis_client.get(key) is None
        both_read.wait(timeout=10)
        redis_client.set(key, 1, px=60_000)
        return unused

    assert returned_values(run_concurrently(naive_redeem, range(2), threads=2)) == [True, True]
    redis_client.delete(key)
    assert (
        returned_values(
            run_concurrently(
                lambda _: redis_queue.challenge_redeem(7, "control", ttl_ms=60_000),
                range(2),
                threads=2,
            )
        ).count(True)
        == 1
    )
