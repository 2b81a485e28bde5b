"""The waiting room's Redis data: the one module that knows key names and Lua scripts.

Every key of one concert shares the hash tag `{c<id>}` (e.g. `bo:{c42}:waiting`), so each
script touches a single Redis Cluster shard. Each script receives every key it touches in
KEYS (none is built inside Lua) and no call spans two concerts: a cluster would refuse it
(CROSSSLOT), and tests/queueing/test_cluster.py shows it does. All times are integer epoch milliseconds
passed in from Python (`now_ms`), never read inside Lua, so tests can freeze the clock.

Per concert:
- waiting   ZSET user -> join sequence (FIFO; pre-queue fans get -n..-1 in drawn order at sale start)
- prequeue  ZSET user -> time joined, before the sale opens (no position yet)
- active    ZSET user -> slot end (ms); a slot is active while its score is in the future
- seen      ZSET user -> last status/join call (ms), for abandonment
- admits    ZSET "<user>:<ms>" -> admission time, for the rate cap and the wait estimate
- seq       STRING join counter
- meta      HASH sale_starts_at (ms), shuffled ("1" once the pre-queue is drawn and placed),
            line (what the last turnstile tick found: "" open, "seats_held", "sold_out")
- control   HASH runtime overrides from staff: paused ("1"), cap (int), challenge (int:
            the proof of work's maxnumber); PostgreSQL's QueueControl is the durable copy
- epoch     STRING when this state was built (ms). Redis that lost its data has no epoch:
            the join, admit and status scripts then change nothing and answer "rebuild",
            and queueing.services rebuilds the concert from PostgreSQL (QueueEntry,
            QueueControl) under the `rebuilding` lock (SET NX PX), not listed in the keys.

Position is ZRANK: O(log N), never a list scan.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

from config.redis import QueueRedis, get_queue_redis
from queueing.state import (
    ETA_WINDOW_MS,
    LineState,
    QueueState,
    QueueStatus,
    datetime_from_ms,
    line_state,
    wait_estimate_seconds,
)

RATE_WINDOW_MS = 60_000
NULL = -1  # how the scripts say "null" (Lua cannot put nil in an array)

KEY_NAMES = ("waiting", "prequeue", "active", "seen", "admits", "seq", "meta", "control", "epoch")
REBUILD = "rebuild"  # what a script answers when the concert's state is missing


@dataclass(frozen=True)
class ConcertKeys:
    waiting: str
    prequeue: str
    active: str
    seen: str
    admits: str
    seq: str
    meta: str
    control: str
    epoch: str

    @property
    def rebuilding(self) -> str:
        return self.epoch.removesuffix("epoch") + "rebuilding"

    @property
    def released(self) -> str:
        """ZSET user -> when their slot ended after a purchase (the last minute's): a tick
        whose stock read is older than such an end, for a fan it did not see holding, admits
        nobody (see the admit script). Not rebuilt: it only matters for a few milliseconds."""
        return self.epoch.removesuffix("epoch") + "released"

    def all(self) -> list[str]:
        return [getattr(self, name) for name in KEY_NAMES]


def concert_keys(concert_id: int) -> ConcertKeys:
    tag = f"{settings.QUEUE_KEY_PREFIX}:{{c{int(concert_id)}}}"
    return ConcertKeys(**{name: f"{tag}:{name}" for name in KEY_NAMES})


# --- Lua ---------------------------------------------------------------------------------
# KEYS for the state scripts: waiting, prequeue, active, seen, admits, seq, meta, control,
# epoch (the order of KEY_NAMES).
_STATE_LUA = """
local K_WAITING, K_PRE, K_ACTIVE, K_SEEN, K_ADMITS, K_SEQ, K_META, K_CONTROL =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
-- no epoch: Redis lost this concert's state; write nothing until it is rebuilt
if redis.call('EXISTS', KEYS[9]) == 0 then return {'rebuild'} end

-- admissions in the estimate's window and the oldest one's time (-1: none)
local function admissions(now, window)
  local since = '(' .. (now - window)
  local n = redis.call('ZCOUNT', K_ADMITS, since, '+inf')
  if n == 0 then return n, -1 end
  local oldest = redis.call('ZRANGEBYSCORE', K_ADMITS, since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  return n, tonumber(oldest[2])
end

-- {status, position, queue_length, admitted, oldest_admission_ms, active_until_ms,
--  sale_starts_ms, paused, cap, line}; -1 = null. The wait estimate and the line's state
-- are computed from these in Python (queueing.state).
local function queue_state(uid, now, abandon, window)
  local sale = tonumber(redis.call('HGET', K_META, 'sale_starts_at') or '-1')
  local qlen = redis.call('ZCARD', K_WAITING) + redis.call('ZCARD', K_PRE)
  local control = redis.call('HMGET', K_CONTROL, 'paused', 'cap')
  local line = redis.call('HGET', K_META, 'line') or ''
  local paused, cap = control[1] or '', tonumber(control[2] or '-1')
  local function row(status, position, admitted, oldest, active_until)
    return {status, position, qlen, admitted, oldest, active_until, sale, paused, cap, line}
  end
  local active_until = redis.call('ZSCORE', K_ACTIVE, uid)
  if active_until and tonumber(active_until) > now then
    return row('active', -1, 0, -1, tonumber(active_until))
  end
  if redis.call('ZSCORE', K_PRE, uid) then
    return row('waiting', -1, 0, -1, -1)
  end
  local rank = redis.call('ZRANK', K_WAITING, uid)
  if not rank then return row('none', -1, 0, -1, -1) end
  local seen = redis.call('ZSCORE', K_SEEN, uid)
  if seen and now - tonumber(seen) > abandon then
    -- silent too long: the place is lost; the next admission tick removes it
    return row('none', -1, 0, -1, -1)
  end
  local position = rank + 1
  if redis.call('HGET', K_META, 'shuffled') ~= '1' then
    -- the pre-queue, drawn at the first tick after sale start, goes ahead of everyone
    position = position + redis.call('ZCARD', K_PRE)
  end
  local admitted, oldest = admissions(now, window)
  return row('waiting', position, admitted, oldest, -1)
end
"""

# ARGV: user, now, abandon_ms, window_ms
_STATUS_LUA = (
    _STATE_LUA
    + """
local uid, now = ARGV[1], tonumber(ARGV[2])
local state = queue_state(uid, now, tonumber(ARGV[3]), tonumber(ARGV[4]))
if state[1] == 'waiting' then redis.call('ZADD', K_SEEN, now, uid) end
return state
"""
)

# ARGV: user, now, abandon_ms, window_ms, sale_starts_ms
# Returns {outcome, waiting score or -1, state...}; outcome: joined | requeued | kept.
_JOIN_LUA = (
    _STATE_LUA
    + """
local uid, now, abandon = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local sale = tonumber(ARGV[5])
redis.call('HSET', K_META, 'sale_starts_at', ARGV[5])
local outcome = 'kept'
local active_until = redis.call('ZSCORE', K_ACTIVE, uid)
if not (active_until and tonumber(active_until) > now) then
  if active_until then
    -- the slot ran out: this fan joins again at the back
    redis.call('ZREM', K_ACTIVE, uid)
    outcome = 'requeued'
  end
  if not redis.call('ZSCORE', K_PRE, uid) then
    local score = redis.call('ZSCORE', K_WAITING, uid)
    local seen = redis.call('ZSCORE', K_SEEN, uid)
    if score and seen and now - tonumber(seen) > abandon then
      redis.call('ZREM', K_WAITING, uid)
      score = false
      outcome = 'requeued'
    end
    if not score then
      if outcome == 'kept' then outcome = 'joined' end
      if now < sale and redis.call('HGET', K_META, 'shuffled') ~= '1' then
        redis.call('ZADD', K_PRE, now, uid)
      else
        redis.call('ZADD', K_WAITING, redis.call('INCR', K_SEQ), uid)
      end
    end
  end
  redis.call('ZADD', K_SEEN, now, uid)
end
local score = tonumber(redis.call('ZSCORE', K_WAITING, uid) or '-1')
local state = queue_state(uid, now, abandon, tonumber(ARGV[4]))
table.insert(state, 1, score)
table.insert(state, 1, outcome)
return state
"""
)

# The turnstile. KEYS: the state scripts' keys, then released. ARGV: now, slot_ms, default_cap, per_minute (0: none), abandon_ms,
# max_abandoned_scan, eta_window_ms, rate_window_ms, seats_free (-1: stock not limited),
# seats_in_flux, seats_per_fan, stock_read_ms (when the stock was read), then the ids of
# fans whose seats are already taken (a pending booking), who need no more reserved.
# Returns {expired users, admitted users, abandoned users, active_until, line, closed}.
_ADMIT_LUA = """
local K_WAITING, K_PRE, K_ACTIVE, K_SEEN, K_ADMITS, K_SEQ, K_META, K_CONTROL =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
if redis.call('EXISTS', KEYS[9]) == 0 then return {'rebuild'} end
local now, slot = tonumber(ARGV[1]), tonumber(ARGV[2])
local per_minute, abandon = tonumber(ARGV[4]), tonumber(ARGV[5])
local max_scan = tonumber(ARGV[6])
local stock, in_flux, per_fan = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])

local expired = redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now)
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', K_ACTIVE, '-inf', now) end
redis.call('ZREMRANGEBYSCORE', K_ADMITS, '-inf', now - tonumber(ARGV[7]))

-- Admission follows stock: the seats free to hold, less what every admitted fan who has
-- not held yet may still take (per_fan each), must stay above zero for each admission.
local line, closed = '', 0
local by_seats, seats_free = nil, nil
-- Two ways a stock read (a snapshot) can mislead:
-- * a newer read was applied already (ticks on several nodes may run out of order): this
--   one may still admit (the active set, read here, keeps the reserves exact) but must not
--   change the line's state nor close the line;
-- * a fan it saw not holding has since held, paid and ended their slot: their reserve is
--   gone and their seats are sold, which the read does not show. Then it admits nobody;
--   the next tick reads again. (A fan it saw holding is fine: their seats were counted.)
local stock_ms = tonumber(ARGV[12])
local older = tonumber(redis.call('HGET', K_META, 'line_at') or '0') > stock_ms
local blind = false
if stock >= 0 then
  local holders = {}
  for i = 13, #ARGV do holders[ARGV[i]] = true end
  for _, uid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[10], '(' .. stock_ms, '+inf')) do
    if not holders[uid] then blind = true end
  end
  local reserve = 0
  for _, uid in ipairs(redis.call('ZRANGE', K_ACTIVE, 0, -1)) do
    if not holders[uid] then reserve = reserve + per_fan end
  end
  seats_free = stock - reserve
  by_seats = 0
  if blind then
    by_seats = 0
  elseif older then
    by_seats = math.max(0, math.ceil(seats_free / per_fan))
  elseif stock <= 0 and in_flux <= 0 then
    -- sold out: no seat is free and none is held, so none can come back but by a refund.
    -- The line closes: everyone still waiting is told (status none, line sold_out).
    line = 'sold_out'
    closed = redis.call('ZCARD', K_WAITING) + redis.call('ZCARD', K_PRE)
    redis.call('DEL', K_WAITING, K_PRE, K_SEEN)
  elseif seats_free <= 0 then
    line = 'seats_held'
  else
    by_seats = math.ceil(seats_free / per_fan)
  end
end
local admitted, abandoned = {}, {}
local until_ms = now + slot
if redis.call('HGET', K_CONTROL, 'paused') ~= '1' then
  local cap = tonumber(redis.call('HGET', K_CONTROL, 'cap') or ARGV[3])
  local free = cap - redis.call('ZCARD', K_ACTIVE)
  if per_minute > 0 then
    local recent = redis.call('ZCOUNT', K_ADMITS, '(' .. (now - tonumber(ARGV[8])), '+inf')
    free = math.min(free, per_minute - recent)
  end
  if by_seats then free = math.min(free, by_seats) end
  while free > 0 do
    local popped = redis.call('ZPOPMIN', K_WAITING, free)
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      local uid = popped[i]
      local seen = redis.call('ZSCORE', K_SEEN, uid)
      redis.call('ZREM', K_SEEN, uid)
      if seen and now - tonumber(seen) > abandon then
        table.insert(abandoned, uid)
      else
        redis.call('ZADD', K_ACTIVE, until_ms, uid)
        redis.call('ZADD', K_ADMITS, now, uid .. ':' .. now)
        table.insert(admitted, uid)
        free = free - 1
      end
    end
    if #abandoned >= max_scan then break end
  end
end
-- what this tick admitted reserves seats too: none left for the next fan? say so
if line == '' and seats_free and seats_free - #admitted * per_fan <= 0 then
  line = 'seats_held'
end
if not (older or blind) then redis.call('HSET', K_META, 'line', line, 'line_at', stock_ms) end
return {expired, admitted, abandoned, until_ms, line, closed}
"""

# Places the drawn pre-queue ahead of everyone: ARGV: users in drawn order.
# KEYS: waiting, prequeue, meta, seq. Returns {first, user, score, user, score, ...}: first
# is 1 for the one call that placed the pre-queue at the draw (0 for every later call).
_PLACE_PREQUEUE_LUA = """
local n = #ARGV
local already = redis.call('HGET', KEYS[3], 'shuffled') == '1'
local placed = {already and 0 or 1}
for i = 1, n do
  local uid = ARGV[i]
  if redis.call('ZREM', KEYS[2], uid) == 1 then
    local score
    if already then
      -- a straggler that reached the pre-queue after the draw (clock skew): back of the line
      score = redis.call('INCR', KEYS[4])
    else
      score = i - n - 1  -- -n .. -1: below the first regular join sequence (1)
    end
    redis.call('ZADD', KEYS[1], score, uid)
    table.insert(placed, uid)
    table.insert(placed, score)
  end
end
redis.call('HSET', KEYS[3], 'shuffled', '1')
return placed
"""

# KEYS: waiting, prequeue, active, seen. ARGV: user. Returns {was_waiting, was_active}.
_LEAVE_LUA = """
local waiting = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
local active = redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return {waiting, active}
"""


@cache
def _scripts() -> dict[str, redis.commands.core.Script]:
    """Registered once per process on the queue client (EVALSHA, reloaded if flushed).

    On a cluster the client routes each call by its KEYS (all under one `{c<id>}` tag, so
    one slot) and SCRIPT LOAD goes to every primary.
    """
    client = get_queue_redis()
    return {
        "status": client.register_script(_STATUS_LUA),
        "join": client.register_script(_JOIN_LUA),
        "admit": client.register_script(_ADMIT_LUA),
        "place_prequeue": client.register_script(_PLACE_PREQUEUE_LUA),
        "leave": client.register_script(_LEAVE_LUA),
        "release": client.register_script(_RELEASE_LUA),
    }


def _client(client: QueueRedis | None) -> QueueRedis:
    return client if client is not None else get_queue_redis()


def _null(value: int | str) -> int | None:
    value = int(value)
    return None if value == NULL else value


def _state(concert_id: int, row: list, *, now_ms: int) -> QueueState:
    """The script's state row as the contract's queue_state, with its wait estimate (none
    while the line is not moving: nobody can know it then)."""
    status, position, queue_length, admitted, oldest_ms, active_until, sale = row[:7]
    paused, cap, tick_line = row[7:10]
    line, reason = line_state(paused=paused == "1", cap=_null(cap), tick_line=str(tick_line))
    position = _null(position)
    return QueueState(
        concert_id=concert_id,
        status=QueueStatus(status),
        position=position,
        queue_length=int(queue_length),
        estimated_wait_seconds=None
        if position is None or line != LineState.OPEN
        else wait_estimate_seconds(
            position - 1,
            admitted=int(admitted),
            oldest_admission_ms=_null(oldest_ms),
            now_ms=now_ms,
        ),
        active_until=datetime_from_ms(_null(active_until)),
        sale_starts_at=datetime_from_ms(_null(sale)),
        line=line,
        line_reason=reason,
    )


@dataclass(frozen=True)
class JoinResult:
    outcome: str  # joined | requeued | kept
    sequence: int | None  # the waiting score, None in the pre-queue or when active
    state: QueueState


@dataclass(frozen=True)
class RebuildNeeded(Exception):
    """Redis has no state for this concert (no epoch): rebuild it from PostgreSQL first."""


def _checked(row: list) -> list:
    if row and row[0] == REBUILD:
        raise RebuildNeeded()
    return row


@dataclass(frozen=True)
class Stock:
    """What the turnstile needs of a concert's seats, read once per tick from PostgreSQL."""

    seats_free: int  # free to hold: the categories' available_seats
    seats_in_flux: int  # neither free nor sold (held by pending bookings or offers)
    seats_per_fan: int  # what one admitted fan may still take, reserved for each
    holders: tuple[int, ...] = ()  # active fans whose seats are already taken
    read_ms: int = 0  # when it was read: an older read never overrides a newer one


@dataclass(frozen=True)
class AdmitResult:
    expired: list[int]
    admitted: list[int]
    abandoned: list[int]
    active_until_ms: int
    line: str = ""  # what the tick found: "" (open), "seats_held" or "sold_out"
    closed: int = 0  # fans told the concert sold out (the line closed)


def status(
    concert_id: int, user_id: int, *, now_ms: int, abandon_ms: int, client=None
) -> QueueState:
    """A fan's state, refreshing their last-seen time, in one round trip.
    Raises RebuildNeeded when the concert's state is missing."""
    row = _scripts()["status"](
        keys=concert_keys(concert_id).all(),
        args=[user_id, now_ms, abandon_ms, ETA_WINDOW_MS],
        client=_client(client),
    )
    return _state(concert_id, _checked(row), now_ms=now_ms)


def join(
    concert_id: int,
    user_id: int,
    *,
    now_ms: int,
    sale_starts_ms: int,
    abandon_ms: int,
    client=None,
) -> JoinResult:
    """Idempotent join: a fan already waiting or active keeps their place.
    Raises RebuildNeeded when the concert's state is missing."""
    row = _checked(
        _scripts()["join"](
            keys=concert_keys(concert_id).all(),
            args=[user_id, now_ms, abandon_ms, ETA_WINDOW_MS, sale_starts_ms],
            client=_client(client),
        )
    )
    return JoinResult(
        outcome=str(row[0]),
        sequence=_null(row[1]),
        state=_state(concert_id, row[2:], now_ms=now_ms),
    )


def admit(
    concert_id: int,
    *,
    now_ms: int,
    slot_ms: int,
    default_cap: int,
    per_minute: int,
    abandon_ms: int,
    stock: Stock | None = None,
    max_abandoned_scan: int = 1000,
    client=None,
) -> AdmitResult:
    """One turnstile tick: expire slots, skip abandoned fans, admit up to the caps and,
    given the concert's stock, only while seats are free for the fans admitted.
    Raises RebuildNeeded when the concert's state is missing."""
    row = _scripts()["admit"](
        keys=[*concert_keys(concert_id).all(), concert_keys(concert_id).released],
        args=[
            now_ms,
            slot_ms,
            default_cap,
            per_minute,
            abandon_ms,
            max_abandoned_scan,
            ETA_WINDOW_MS,
            RATE_WINDOW_MS,
            *(
                (NULL, 0, 1, 0)
                if stock is None
                else (
                    stock.seats_free,
                    stock.seats_in_flux,
                    stock.seats_per_fan,
                    stock.read_ms,
                    *stock.holders,
                )
            ),
        ],
        client=_client(client),
    )
    expired, admitted, abandoned, until_ms, line, closed = _checked(row)
    return AdmitResult(
        expired=[int(u) for u in expired],
        admitted=[int(u) for u in admitted],
        abandoned=[int(u) for u in abandoned],
        active_until_ms=int(until_ms),
        line=str(line),
        closed=int(closed),
    )


@dataclass(frozen=True)
class PrequeueToDraw:
    drawn: bool  # the draw is done: these are stragglers for the back of the line
    members: list[tuple[int, int]]  # (user, joined ms), oldest first


def prequeue_to_draw(concert_id: int, *, now_ms: int, client=None) -> PrequeueToDraw | None:
    """The pre-queue once the sale has opened; None before the sale opens, or once the draw
    is done and no straggler waits. No members and not drawn: the sale opened with nobody
    in the pre-queue and the (empty) draw is still to be done.
    """
    keys = concert_keys(concert_id)
    client = _client(client)
    pipe = client.pipeline(transaction=False)
    pipe.hget(keys.meta, "sale_starts_at")
    pipe.hget(keys.meta, "shuffled")
    pipe.zcard(keys.prequeue)
    sale, drawn, waiting_for_draw = pipe.execute()
    if sale is None or now_ms < int(sale) or (drawn == "1" and not waiting_for_draw):
        return None
    members = client.zrange(keys.prequeue, 0, -1, withscores=True) if waiting_for_draw else []
    return PrequeueToDraw(
        drawn=drawn == "1", members=[(int(member), int(score)) for member, score in members]
    )


@dataclass(frozen=True)
class Placement:
    first: bool  # this call placed the pre-queue at the draw (exactly one call does)
    placed: list[tuple[int, int]]  # (user, waiting score), in the order given


def place_prequeue(concert_id: int, drawn_order: list[int], *, client=None) -> Placement:
    """Move the pre-queue, in the drawn order, ahead of the line (stragglers after a draw
    go to the back), and mark the draw done."""
    keys = concert_keys(concert_id)
    flat = _scripts()["place_prequeue"](
        keys=[keys.waiting, keys.prequeue, keys.meta, keys.seq],
        args=drawn_order,
        client=_client(client),
    )
    return Placement(
        first=int(flat[0]) == 1,
        placed=[(int(flat[i]), int(flat[i + 1])) for i in range(1, len(flat), 2)],
    )


def leave(concert_id: int, user_id: int, *, client=None) -> tuple[bool, bool]:
    """Remove a fan everywhere; returns (was waiting, was active)."""
    keys = concert_keys(concert_id)
    was_waiting, was_active = _scripts()["leave"](
        keys=[keys.waiting, keys.prequeue, keys.active, keys.seen],
        args=[user_id],
        client=_client(client),
    )
    return bool(was_waiting), bool(was_active)


def active_members(concert_id: int, *, client=None) -> list[int]:
    """The fans holding a slot (expired ones too, until the next tick removes them)."""
    return [int(uid) for uid in _client(client).zrange(concert_keys(concert_id).active, 0, -1)]


def waiting_count(concert_id: int, *, client=None) -> int:
    """Fans in the line and the pre-queue (one pipelined round trip)."""
    keys = concert_keys(concert_id)
    pipe = _client(client).pipeline(transaction=False)
    pipe.zcard(keys.waiting)
    pipe.zcard(keys.prequeue)
    return sum(pipe.execute())


# KEYS: active, released. ARGV: user, now_ms. Ends the slot and notes when it ended (the
# fan bought: their reserve goes, their seats are sold), so that a tick whose stock was
# read before it, and did not see this fan holding, does not admit on that read.
_RELEASE_LUA = """
local released = redis.call('ZREM', KEYS[1], ARGV[1])
if released == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - 60000)
end
return released
"""


def release(concert_id: int, user_id: int, *, now_ms: int | None = None, client=None) -> bool:
    """End a fan's active slot after a purchase."""
    keys = concert_keys(concert_id)
    return bool(
        _scripts()["release"](
            keys=[keys.active, keys.released],
            args=[user_id, int(time.time() * 1000) if now_ms is None else now_ms],
            client=_client(client),
        )
    )


def active_until_ms(concert_id: int, user_id: int, *, now_ms: int, client=None) -> int | None:
    score = _client(client).zscore(concert_keys(concert_id).active, user_id)
    if score is None or score <= now_ms:
        return None
    return int(score)


# --- Staff controls and the admin view -----------------------------------------------------
def set_paused(concert_id: int, paused: bool, *, client=None) -> None:
    key = concert_keys(concert_id).control
    if paused:
        _client(client).hset(key, "paused", "1")
    else:
        _client(client).hdel(key, "paused")


def set_cap(concert_id: int, cap: int | None, *, client=None) -> None:
    key = concert_keys(concert_id).control
    if cap is None:
        _client(client).hdel(key, "cap")
    else:
        _client(client).hset(key, "cap", int(cap))


# --- The proof of work at join (queueing.challenge) ---------------------------------------
# Beside the control hash (whose `challenge` field mirrors QueueControl.challenge_maxnumber):
# - challenge-used:<signature>  STRING per redeemed challenge, SET NX, expiring with it
# - challenge-counts            HASH issued, solved, failed, failed:<code> (the staff report)
# Neither is in KEY_NAMES: no script reads them, and a rebuild keeps them.
CHALLENGE_FIELD = "challenge"


def _challenge_key(concert_id: int, name: str) -> str:
    return concert_keys(concert_id).control.removesuffix("control") + name


def set_challenge_maxnumber(concert_id: int, maxnumber: int | None, *, client=None) -> None:
    key = concert_keys(concert_id).control
    if maxnumber is None:
        _client(client).hdel(key, CHALLENGE_FIELD)
    else:
        _client(client).hset(key, CHALLENGE_FIELD, int(maxnumber))


@dataclass(frozen=True)
class ChallengeGate:
    maxnumber_override: int | None  # staff's per-concert difficulty, None: the default
    in_line: bool  # waiting (not abandoned), in the pre-queue, or holding a live slot


def challenge_gate(
    concert_id: int, user_id: int, *, now_ms: int, abandon_ms: int, client=None
) -> ChallengeGate:
    """What the join's check needs, in one round trip (reads only, as the status script
    decides "in line"). Raises RebuildNeeded when the concert's state is missing, so the
    staff's difficulty is never read from a half-lost Redis."""
    keys = concert_keys(concert_id)
    pipe = _client(client).pipeline(transaction=False)
    pipe.exists(keys.epoch)
    pipe.hget(keys.control, CHALLENGE_FIELD)
    pipe.zscore(keys.active, user_id)
    pipe.zscore(keys.prequeue, user_id)
    pipe.zscore(keys.waiting, user_id)
    pipe.zscore(keys.seen, user_id)
    built, override, active_until, pre, waiting, seen = pipe.execute()
    if not built:
        raise RebuildNeeded()
    in_line = (
        (active_until is not None and active_until > now_ms)
        or pre is not None
        or (waiting is not None and (seen is None or now_ms - seen <= abandon_ms))
    )
    return ChallengeGate(
        maxnumber_override=None if override is None else int(override), in_line=in_line
    )


def challenge_redeem(concert_id: int, signature: str, *, ttl_ms: int, client=None) -> bool:
    """Mark a challenge used; False when it already was (one SET NX decides a race)."""
    key = _challenge_key(concert_id, f"challenge-used:{signature}")
    return bool(_client(client).set(key, 1, nx=True, px=max(1, ttl_ms)))


def challenge_count(concert_id: int, *fields: str, client=None) -> None:
    pipe = _client(client).pipeline(transaction=False)
    for name in fields:
        pipe.hincrby(_challenge_key(concert_id, "challenge-counts"), name, 1)
    pipe.execute()


def challenge_counts(concert_id: int, *, client=None) -> dict[str, int]:
    counts = _client(client).hgetall(_challenge_key(concert_id, "challenge-counts"))
    return {str(name): int(value) for name, value in counts.items()}


@dataclass(frozen=True)
class Snapshot:
    waiting: int
    prequeue: int
    active: int
    admitted_last_minute: int
    admitted_in_window: int
    oldest_admission_ms: int | None
    paused: bool
    cap_override: int | None
    sale_starts_ms: int | None
    shuffled: bool
    tick_line: str = ""


def snapshot(concert_id: int, *, now_ms: int, client=None) -> Snapshot:
    """Counters for the staff view, read in one pipelined round trip."""
    keys = concert_keys(concert_id)
    pipe = _client(client).pipeline(transaction=False)
    pipe.zcard(keys.waiting)
    pipe.zcard(keys.prequeue)
    pipe.zcount(keys.active, f"({now_ms}", "+inf")
    pipe.zcount(keys.admits, f"({now_ms - RATE_WINDOW_MS}", "+inf")
    pipe.zcount(keys.admits, f"({now_ms - ETA_WINDOW_MS}", "+inf")
    pipe.zrangebyscore(
        keys.admits, f"({now_ms - ETA_WINDOW_MS}", "+inf", start=0, num=1, withscores=True
    )
    pipe.hgetall(keys.control)
    pipe.hgetall(keys.meta)
    waiting, pre, active, last_min, in_window, oldest, control, meta = pipe.execute()
    return Snapshot(
        waiting=waiting,
        prequeue=pre,
        active=active,
        admitted_last_minute=last_min,
        admitted_in_window=in_window,
        oldest_admission_ms=int(oldest[0][1]) if oldest else None,
        paused=control.get("paused") == "1",
        cap_override=int(control["cap"]) if "cap" in control else None,
        sale_starts_ms=int(meta["sale_starts_at"]) if "sale_starts_at" in meta else None,
        shuffled=meta.get("shuffled") == "1",
        tick_line=meta.get("line", ""),
    )


# --- Rebuild from the durable rows -------------------------------------------------------
def is_empty(concert_id: int, *, client=None) -> bool:
    keys = concert_keys(concert_id)
    return _client(client).exists(keys.waiting, keys.prequeue, keys.active) == 0


def clear(concert_id: int, *, client=None) -> None:
    """Delete a concert's queue data (staff controls included)."""
    keys = concert_keys(concert_id)
    _client(client).delete(*keys.all(), keys.released)


def is_built(concert_id: int, *, client=None) -> bool:
    return bool(_client(client).exists(concert_keys(concert_id).epoch))


def mark_built(concert_id: int, *, now_ms: int, client=None) -> None:
    """Declare a concert's state present (benches and tests that write keys directly)."""
    _client(client).set(concert_keys(concert_id).epoch, now_ms, nx=True)


def rebuild_lock(concert_id: int, *, ttl_ms: int, client=None) -> str | None:
    """Take the concert's rebuild lock; its token, or None when someone else holds it.
    The TTL frees it if the rebuilder dies."""
    token = secrets.token_hex(8)
    acquired = _client(client).set(concert_keys(concert_id).rebuilding, token, nx=True, px=ttl_ms)
    return token if acquired else None


# Deletes the lock only while it still holds our token (it may have expired and moved on).
_UNLOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def rebuild_unlock(concert_id: int, token: str, *, client=None) -> None:
    _client(client).eval(_UNLOCK_LUA, 1, concert_keys(concert_id).rebuilding, token)


def ask_rebuild_once(concert_id: int, *, ttl_ms: int, client=None) -> bool:
    """True for the first caller in ttl_ms (so a flood of polls queues one rebuild)."""
    key = concert_keys(concert_id).rebuilding.removesuffix("rebuilding") + "rebuild-asked"
    return bool(_client(client).set(key, 1, nx=True, px=ttl_ms))


def restore(
    concert_id: int,
    *,
    waiting: list[tuple[int, int]],
    prequeue: list[tuple[int, int]],
    active: list[tuple[int, int]],
    admits: list[tuple[int, int]],
    next_sequence: int,
    paused: bool,
    cap: int | None,
    sale_starts_ms: int,
    shuffled: bool,
    now_ms: int,
    challenge_maxnumber: int | None = None,
    client=None,
) -> None:
    """Replace a concert's state in one MULTI, the epoch last: nobody sees it half built.

    (user, score) pairs; `admits` are (user, admission ms) for the rate and the estimate;
    the join counter resumes at next_sequence; every fan counts as seen now.
    """
    keys = concert_keys(concert_id)
    pipe = _client(client).pipeline(transaction=True)
    pipe.delete(*keys.all())
    pipe.hset(keys.meta, "sale_starts_at", sale_starts_ms)
    if shuffled:
        pipe.hset(keys.meta, "shuffled", "1")
    if waiting:
        pipe.zadd(keys.waiting, dict(waiting))
    pipe.set(keys.seq, max(0, next_sequence - 1))
    if prequeue:
        pipe.zadd(keys.prequeue, dict(prequeue))
    if active:
        pipe.zadd(keys.active, dict(active))
    if admits:
        pipe.zadd(keys.admits, {f"{user}:{ms}": ms for user, ms in admits})
    if waiting or prequeue:
        pipe.zadd(keys.seen, {user: now_ms for user, _ in [*waiting, *prequeue]})
    if paused:
        pipe.hset(keys.control, "paused", "1")
    if cap is not None:
        pipe.hset(keys.control, "cap", int(cap))
    if challenge_maxnumber is not None:
        pipe.hset(keys.control, CHALLENGE_FIELD, int(challenge_maxnumber))
    pipe.set(keys.epoch, now_ms)
    pipe.execute()
