"""The pre-queue draw anyone can verify: commit, then reveal (docs/draw.md).

1. When the pre-queue opens the concert picks a secret seed (32 random bytes) and publishes
   its commitment, `sha256(seed)`. The commitment binds the seed: no other seed has it.
2. Each pre-queue fan gets a receipt, a random entry id (128 bits, hex), not their user id.
3. At sale start the pre-queue is ordered by `HMAC-SHA256(key=seed, msg=entry_id)`,
   ascending hex digest (ties, impossible in practice, by entry id); then the seed and the
   entry ids in drawn order are published.

Anyone can then check that the seed matches the commitment made before the sale, and that
the published order is the HMAC ranking of the published entries: the operator could
choose neither the seed after seeing the entries nor the order for a given seed. Pure
functions only (hashlib, hmac, secrets): `manage.py verify_draw` and the tests use them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

ALGORITHM = "HMAC-SHA256"
SEED_BYTES = 32
ENTRY_ID_BYTES = 16


def new_seed() -> str:
    """A fresh secret seed, as 64 hex characters."""
    return secrets.token_hex(SEED_BYTES)


def new_entry_id() -> str:
    """A fresh receipt: 128 random bits as 32 hex characters."""
    return secrets.token_hex(ENTRY_ID_BYTES)


def commitment_of(seed: str) -> str:
    """sha256 of the seed's bytes, hex: what is published before the draw."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def entry_digest(seed: str, entry_id: str) -> str:
    """The entry's draw score: HMAC-SHA256 keyed by the seed's bytes over the entry id."""
    return hmac.new(bytes.fromhex(seed), entry_id.encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(seed: str, entry_ids: Iterable[str]) -> list[str]:
    """The entry ids ranked by their digest (ascending), ties broken by entry id."""
    return sorted(entry_ids, key=lambda entry_id: (entry_digest(seed, entry_id), entry_id))


def is_valid_hex(value: object, length: int) -> bool:
    if not isinstance(value, str) or len(value) != length:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def verify_publication(*, commitment: str, seed: str | None, entries: Sequence[str]) -> list[str]:
    """What is wrong with a published draw; an empty list means it verifies.

    Checks that the seed is well formed and matches the commitment, that the entry ids are
    distinct, and that their published order is the HMAC ranking.
    """
    problems: list[str] = []
    if seed is None:
        return ["the seed is not published yet (the draw has not taken place)"]
    if not is_valid_hex(seed, SEED_BYTES * 2):
        return [f"the seed is not {SEED_BYTES * 2} hex characters"]
    if not isinstance(commitment, str) or commitment_of(seed) != commitment.lower():
        problems.append(
            f"sha256(seed) is {commitment_of(seed)}, but the commitment is {commitment}"
        )
    if not all(isinstance(entry_id, str) for entry_id in entries):
        return [*problems, "the entries are not all strings"]
    if len(set(entries)) != len(entries):
        problems.append("an entry id appears twice")
    expected = draw_order(seed, entries)
    for place, (published, recomputed) in enumerate(zip(entries, expected, strict=True), 1):
        if published != recomputed:
            problems.append(
                f"place {place}: published {published}, but the HMAC ranking gives {recomputed}"
            )
            break
    return problems
