"""Pending email sign-ups in Redis: the only module that knows their key names and scripts.

Per email address (keys share one hash tag, so each script touches a single Cluster slot):
  bo:signup:{tag}:p:<otp_hash>  hash  one sign-up: password_hash, first_name, last_name,
                                      phone, requester_hash; expires after OTP_TTL_SECONDS
  bo:signup:{tag}:codes     set   otp hashes issued in the last day: a known code whose
                                  sign-up is gone reads "expired", not "invalid"
  bo:signup:{tag}:cooldown  str   set while a new email may not be sent (resend cooldown)
  bo:signup:{tag}:attempts  str   wrong codes since the last code was emailed
  bo:signup:{tag}:guesses   str   wrong codes in the guess window; signing up again does
                                  not reset it (OTP_MAX_ATTEMPTS_PER_WINDOW)
  bo:account-email:{tag}:<purpose>  str  cooldown of password-reset / email-change emails
The tag is a digest of the address: no personal data in key names. On success the verify
script also deletes the address's other sign-up records, whose names it builds from the
`codes` set: they share the hash tag, so they live in the same Cluster slot.

Each sign-up is its own record, found by its code: a code activates the sign-up it was
emailed for and no other, so a second person signing up for the same address cannot
change what the first person's code activates. Every multi-step change is one Lua script,
so concurrent requests cannot both consume one code or slip extra guesses past a limit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from config.redis import get_redis

ISSUED_MARKER_SECONDS = 24 * 60 * 60

# KEYS: record, codes, cooldown, attempts. ARGV: cooldown s, ttl s, issued s, otp_hash,
# password_hash, first_name, last_name, phone, requester_hash.
# Returns 1 if stored (the caller emails the code), 0 in the cooldown (nothing changes).
_STORE = """
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'password_hash', ARGV[5], 'first_name', ARGV[6],
           'last_name', ARGV[7], 'phone', ARGV[8], 'requester_hash', ARGV[9])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[4])
return 1
"""

# KEYS: record, codes, attempts, guesses. ARGV: otp_hash, requester_hash ('' = any),
# max attempts, max per window, window s, ttl s, record key prefix.
# Returns {'ok', field, value, ...} (and deletes every sign-up of the address: the account
# now exists), {'invalid', attempts_left}, {'locked', ttl}, {'expired'} or {'missing'}.
_VERIFY = """
if redis.call('EXISTS', KEYS[2]) == 0 then return {'missing'} end
local guesses = tonumber(redis.call('GET', KEYS[4]) or '0')
if guesses >= tonumber(ARGV[4]) then
  return {'locked', tostring(redis.call('TTL', KEYS[4]))}
end
local attempts = tonumber(redis.call('GET', KEYS[3]) or '0')
if attempts >= tonumber(ARGV[3]) then
  return {'locked', tostring(redis.call('TTL', KEYS[3]))}
end
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then
  local record = {}
  for i = 1, #fields, 2 do record[fields[i]] = fields[i + 1] end
  if ARGV[2] == '' or record['requester_hash'] == ARGV[2] then
    for _, otp_hash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      redis.call('DEL', ARGV[7] .. otp_hash)
    end
    redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
    table.insert(fields, 1, 'ok')
    return fields
  end
elseif redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return {'expired'}
end
attempts = redis.call('INCR', KEYS[3])
if attempts == 1 then redis.call('EXPIRE', KEYS[3], ARGV[6]) end
guesses = redis.call('INCR', KEYS[4])
if guesses == 1 then redis.call('EXPIRE', KEYS[4], ARGV[5]) end
local left = math.min(tonumber(ARGV[3]) - attempts, tonumber(ARGV[4]) - guesses)
return {'invalid', tostring(left)}
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


@dataclass(frozen=True)
class SignupKeys:
    record_prefix: str
    codes: str
    cooldown: str
    attempts: str
    guesses: str

    def record(self, otp_hash: str) -> str:
        return f"{self.record_prefix}{otp_hash}"


def keys_for(email: str) -> SignupKeys:
    tag = hashlib.sha256(email.encode()).hexdigest()[:32]
    prefix = f"bo:signup:{{{tag}}}"
    return SignupKeys(
        record_prefix=f"{prefix}:p:",
        codes=f"{prefix}:codes",
        cooldown=f"{prefix}:cooldown",
        attempts=f"{prefix}:attempts",
        guesses=f"{prefix}:guesses",
    )


def _keyed_hash(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def hash_otp(*, email: str, otp: str) -> str:
    """Keyed with SECRET_KEY: a Redis dump alone cannot brute-force the 10^6 codes."""
    return _keyed_hash(f"{email}:{otp}")


def hash_requester(signup_id: str) -> str:
    return _keyed_hash(f"signup-id:{signup_id}") if signup_id else ""


def record_key(*, email: str, otp: str) -> str:
    return keys_for(email).record(hash_otp(email=email, otp=otp))


def store(*, email: str, otp: str, signup: PendingSignup, signup_id: str = "") -> bool:
    """Save a sign-up under its own code unless the cooldown runs; True if the code is new.

    `signup_id` names the requester (the browser session or API client that asked); a
    verification that names a requester activates only that requester's sign-up.
    """
    keys = keys_for(email)
    otp_hash = hash_otp(email=email, otp=otp)
    stored = get_redis().eval(
        _STORE,
        4,
        keys.record(otp_hash),
        keys.codes,
        keys.cooldown,
        keys.attempts,
        settings.OTP_RESEND_COOLDOWN_SECONDS,
        settings.OTP_TTL_SECONDS,
        ISSUED_MARKER_SECONDS,
        otp_hash,
        signup.password_hash,
        signup.first_name,
        signup.last_name,
        signup.phone,
        hash_requester(signup_id),
    )
    return bool(stored)


def start_cooldown(*, email: str) -> bool:
    """Claim the cooldown without storing a sign-up; False if it was already running."""
    cooldown = keys_for(email).cooldown
    return bool(get_redis().set(cooldown, "1", nx=True, ex=settings.OTP_RESEND_COOLDOWN_SECONDS))


def verify(*, email: str, otp: str, signup_id: str = "") -> VerifyOutcome:
    """Check a code, counting a wrong one; the right one consumes the sign-up atomically.

    A code that belongs to another requester's sign-up counts as wrong. Wrong codes are
    limited per sign-up (OTP_MAX_ATTEMPTS) and per address over the guess window
    (OTP_MAX_ATTEMPTS_PER_WINDOW), which signing up again does not reset.
    """
    keys = keys_for(email)
    otp_hash = hash_otp(email=email, otp=otp)
    reply = get_redis().eval(
        _VERIFY,
        4,
        keys.record(otp_hash),
        keys.codes,
        keys.attempts,
        keys.guesses,
        otp_hash,
        hash_requester(signup_id),
        settings.OTP_MAX_ATTEMPTS,
        settings.OTP_MAX_ATTEMPTS_PER_WINDOW,
        settings.OTP_GUESS_WINDOW_SECONDS,
        settings.OTP_TTL_SECONDS,
        keys.record_prefix,
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


def claim_email_cooldown(*, purpose: str, email: str) -> bool:
    """Claim the per-address cooldown of a recovery email (password reset, email change);
    False if one was sent within ACCOUNT_EMAIL_COOLDOWN_SECONDS."""
    tag = hashlib.sha256(email.encode()).hexdigest()[:32]
    key = f"bo:account-email:{{{tag}}}:{purpose}"
    return bool(get_redis().set(key, "1", nx=True, ex=settings.ACCOUNT_EMAIL_COOLDOWN_SECONDS))
