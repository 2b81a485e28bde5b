"""A cost for bots at the door: the proof of work a concert may ask at join (ALTCHA v2).

The server issues a challenge signed with HMAC-SHA256 (a key derived from SECRET_KEY),
bound to one fan and one concert (`data`), expiring after QUEUE_CHALLENGE_SECONDS. The
challenge is ALTCHA's deterministic mode: the server picks a secret counter uniformly in
0..maxnumber and publishes only the start of SHA-256(salt + nonce + counter); the browser
finds the counter by trying 0, 1, 2 ... So a fan's work is bounded (at most maxnumber + 1
hashes, maxnumber / 2 on average) instead of the open-ended luck of a "leading zeros"
puzzle, and the server checks a solution with one hash.

Single use: a redeemed challenge's signature is stored with SET NX until it expires, so a
replay (or two requests racing with one solution) joins once. Counts per concert (issued,
solved, failed by code) feed the staff report. docs/challenge.md explains it to fans and
staff.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

import altcha
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from concerts.models import Concert
from config.errors import DomainError
from queueing import redis_queue
from queueing.errors import (
    ChallengeExpired,
    ChallengeInvalid,
    ChallengeRequired,
    ChallengeUsed,
    InvalidChallengeDifficulty,
)
from queueing.models import QueueControl

# One SHA-256 per attempt: WebCrypto in the browser's workers, hashlib here.
ALGORITHM = "SHA-256"
# Far above any sensible setting (minutes of a phone's CPU), well below the uint32 counter.
MAX_MAXNUMBER = 10_000_000
# A payload is a few hundred bytes; anything much longer is not ours.
MAX_PAYLOAD_CHARS = 4096


def _hmac_secret() -> str:
    return salted_hmac("boxoffice.queueing.challenge", "altcha", algorithm="sha256").hexdigest()


def challenge_maxnumber(*, concert_id: int) -> int:
    """The concert's difficulty (0: no challenge): staff's setting, else the default."""
    override = (
        QueueControl.objects.filter(concert_id=concert_id)
        .values_list("challenge_maxnumber", flat=True)
        .first()
    )
    return settings.QUEUE_CHALLENGE_MAXNUMBER if override is None else override


def challenge_issue(*, concert: Concert, user_id: int, now: datetime | None = None) -> dict | None:
    """A new challenge for this fan and concert (ALTCHA's JSON), or None when the concert
    asks none. Counted as issued."""
    maxnumber = challenge_maxnumber(concert_id=concert.pk)
    if maxnumber <= 0:
        return None
    now = now or timezone.now()
    expires_at = now + timedelta(seconds=settings.QUEUE_CHALLENGE_SECONDS)
    challenge = altcha.create_challenge(
        ALGORITHM,
        1,
        counter=secrets.randbelow(maxnumber + 1),
        expires_at=math.ceil(expires_at.timestamp()),
        data={"concert": concert.pk, "fan": user_id},
        hmac_secret=_hmac_secret(),
    )
    redis_queue.challenge_count(concert.pk, "issued")
    return challenge.to_dict()


def _refuse(concert_id: int, error: DomainError) -> DomainError:
    redis_queue.challenge_count(concert_id, "failed", f"failed:{error.code}")
    return error


def challenge_check_join(
    *, concert_id: int, user_id: int, payload: str | None, now: datetime
) -> None:
    """The door's rule, run by queueing.services.queue_join before the fan enters the line.

    When the concert asks a proof of work (difficulty > 0): a fan already in line (waiting,
    in the pre-queue or holding a slot) may join again without one, which keeps the place;
    anyone else must send a solution of a challenge issued to them for this concert,
    unexpired and never used before. A solution sent is always checked. Raises
    ChallengeRequired, ChallengeInvalid (undecodable, forged, wrong answer, another fan or
    concert), ChallengeExpired or ChallengeUsed, each counted as a failure; and
    redis_queue.RebuildNeeded when Redis lost the concert (the caller rebuilds, then
    retries: nothing was written).
    """
    now_ms = int(now.timestamp() * 1000)
    gate = redis_queue.challenge_gate(
        concert_id, user_id, now_ms=now_ms, abandon_ms=settings.QUEUE_ABANDON_SECONDS * 1000
    )
    maxnumber = (
        settings.QUEUE_CHALLENGE_MAXNUMBER
        if gate.maxnumber_override is None
        else gate.maxnumber_override
    )
    if maxnumber <= 0:
        return
    if not payload:
        if gate.in_line:
            return
        raise _refuse(concert_id, ChallengeRequired())
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise _refuse(concert_id, ChallengeInvalid())
    # The library checks the expiry first (before the signature), then the signature over
    # the parameters (nonce, salt, prefix, expiry, data), then the answer with one hash.
    result = altcha.verify_solution(payload, _hmac_secret())
    if result.expired:
        raise _refuse(concert_id, ChallengeExpired())
    if not result.verified:
        raise _refuse(concert_id, ChallengeInvalid())
    challenge = altcha.Payload.from_base64(payload).challenge
    data = challenge.parameters.data or {}
    expires_at = challenge.parameters.expires_at
    if data.get("concert") != concert_id or data.get("fan") != user_id or not expires_at:
        raise _refuse(concert_id, ChallengeInvalid())
    ttl_ms = int(expires_at) * 1000 - now_ms + 1000
    if not redis_queue.challenge_redeem(concert_id, str(challenge.signature), ttl_ms=ttl_ms):
        raise _refuse(concert_id, ChallengeUsed())
    redis_queue.challenge_count(concert_id, "solved")


def challenge_counts(concert_id: int) -> dict:
    """For the staff report: challenges issued, solved (a join let in) and failed (a join
    refused), with the failures by code, e.g. {"challenge_used": 3}."""
    counts = redis_queue.challenge_counts(concert_id)
    return {
        "issued": counts.get("issued", 0),
        "solved": counts.get("solved", 0),
        "failed": counts.get("failed", 0),
        "failed_by_code": {
            name.removeprefix("failed:"): value
            for name, value in sorted(counts.items())
            if name.startswith("failed:")
        },
    }


def queue_challenge_set(*, concert_id: int, maxnumber: int | None) -> None:
    """Staff's difficulty for one concert at runtime (None: back to the default, 0: off).

    Stored in QueueControl first, then in Redis, where the next join reads it; challenges
    already issued stay valid until they expire. Raises InvalidChallengeDifficulty outside
    0..MAX_MAXNUMBER.
    """
    if maxnumber is not None and not 0 <= maxnumber <= MAX_MAXNUMBER:
        raise InvalidChallengeDifficulty()
    QueueControl.objects.update_or_create(
        concert_id=concert_id, defaults={"challenge_maxnumber": maxnumber}
    )
    redis_queue.set_challenge_maxnumber(concert_id, maxnumber)
