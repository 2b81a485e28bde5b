"""Pending email sign-ups in Redis: the only module that knows their key names and scripts.

Per email address (keys share one hash tag, so each script touches a single Cluster slot):
  bo:signup:{tag}:pending   hash  otp_hash, password_hash, first_name, last_name, phone,
                                  attempts; expires after OTP_TTL_SECONDS
  bo:signup:{tag}:cooldown  str   set while a new email may not be sent (resend cooldown)
  bo:signup:{tag}:issued    str   outlives `pending` so an old code reads "expired", not "invalid"
The tag is a digest of the address: no personal data in key names.

Every multi-step change is one Lua script, so concurrent requests cannot both consume one
code or slip extra guesses past the attempt limit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from config.redis import get_redis

ISSUED_MARKER_SECONDS = 24 * 60 * 60

# KEYS: pending, cooldown, issued. ARGV: cooldown s, ttl s, issued s, otp_hash, password_hash,
# first_name, last_name, phone. Returns 1 if stored (caller emails the code), 0 in the cooldown.
_STORE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'otp_hash', ARGV[4], 'password_hash', ARGV[5],
           'first_name', ARGV[6], 'last_name', ARGV[7], 'phone', ARGV[8], 'attempts', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], '1', 'EX', ARGV[3])
return 1
"""

# KEYS: pending, issued. ARGV: otp_hash, max attempts.
# Returns {'ok', field, value, ...} (and deletes the sign-up: a code works once),
# {'invalid', attempts_left}, {'locked', ttl}, {'expired'} or {'missing'}.
_VERIFY = """
local stored = redis.call('HGET', KEYS[1], 'otp_hash')
if not stored then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'expired'} end
  return {'missing'}
end
local max = tonumber(ARGV[2])
if tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') >= max then
  return {'locked', tostring(redis.call('TTL', KEYS[1]))}
end
if stored == ARGV[1] then
  local fields = redis.call('HGETALL', KEYS[1])
  redis.call('DEL', KEYS[1], KEYS[2])
  table.insert(fields, 1, 'ok')
  return fields
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {'invalid', tostring(max - attempts)}
"""


@dataclass(frozen=True)
class PendingSignup:
    password_hash: str
    first_name: str
    last_name: str
    phone: str


@dataclass(frozen=True)
class VerifyOutcome:
    status: Literal["ok", "invalid", "locked", "expired", "missing"]
    signup: PendingSignup | None = None
    attempts_left: int = 0
    locked_for_seconds: int = 0


def keys_for(email: str) -> tuple[str, str, str]:
    tag = hashlib.sha256(email.encode()).hexdigest()[:32]
    prefix = f"bo:signup:{{{tag}}}"
    return f"{prefix}:pending", f"{prefix}:cooldown", f"{prefix}:issued"


def hash_otp(*, email: str, otp: str) -> str:
    """Keyed with SECRET_KEY: a Redis dump alone cannot brute-force the 10^6 codes."""
    message = f"{email}:{otp}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def store(*, email: str, otp: str, signup: PendingSignup) -> bool:
    """Save a sign-up with a fresh code unless the cooldown runs; True if the code is new."""
    pending, cooldown, issued = keys_for(email)
    stored = get_redis().eval(
        _STORE,
        3,
        pending,
        cooldown,
        issued,
        settings.OTP_RESEND_COOLDOWN_SECONDS,
        settings.OTP_TTL_SECONDS,
        ISSUED_MARKER_SECONDS,
        hash_otp(email=email, otp=otp),
        signup.password_hash,
        signup.first_name,
        signup.last_name,
        signup.phone,
    )
    return bool(stored)


def start_cooldown(*, email: str) -> bool:
    """Claim the cooldown without storing a sign-up; False if it was already running."""
    _, cooldown, _ = keys_for(email)
    return bool(get_redis().set(cooldown, "1", nx=True, ex=settings.OTP_RESEND_COOLDOWN_SECONDS))


def verify(*, email: str, otp: str) -> VerifyOutcome:
    """Check a code, counting a wrong one; the right one consumes the sign-up atomically."""
    pending, _, issued = keys_for(email)
    reply = get_redis().eval(
        _VERIFY, 2, pending, issued, hash_otp(email=email, otp=otp), settings.OTP_MAX_ATTEMPTS
    )
    status = reply[0]
    if status == "ok":
        fields = dict(zip(reply[1::2], reply[2::2], strict=True))
        return VerifyOutcome(
            status="ok",
            signup=PendingSignup(
                password_hash=fields["password_hash"],
                first_name=fields["first_name"],
                last_name=fields["last_name"],
                phone=fields["phone"],
            ),
        )
    if status == "invalid":
        return VerifyOutcome(status="invalid", attempts_left=max(int(reply[1]), 0))
    if status == "locked":
        return VerifyOutcome(status="locked", locked_for_seconds=max(int(reply[1]), 1))
    return VerifyOutcome(status=status)
