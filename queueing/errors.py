"""Why the waiting room says no: stable codes the API, the page and the tests share.

A concert that is not there (or not published) is concerts.errors.ConcertNotFound.
"""

from config.errors import DomainError


class SaleNotOpen(DomainError):
    code = "sale_not_open"
    default_message = "The waiting room for this concert is not open yet."


class SaleEnded(SaleNotOpen):
    default_message = "The sale for this concert has ended."


class SoldOut(DomainError):
    code = "sold_out"
    default_message = "This concert is sold out."


class InvalidCap(DomainError):
    code = "invalid_cap"
    default_message = "The active cap cannot be negative."


class QueueRebuilding(DomainError):
    """Redis lost the line and it is being rebuilt from PostgreSQL: retry in a moment."""

    code = "queue_rebuilding"
    default_message = "The waiting room is being restored. Please try again in a moment."

    def __init__(self, message: str | None = None, **extra) -> None:
        super().__init__(message, retry_after=1, **extra)


# --- The proof of work at join (queueing.challenge, docs/challenge.md) ---------------------
class ChallengeRequired(DomainError):
    """The concert asks a proof of work at join and none was sent (fetch one and solve it)."""

    code = "challenge_required"
    default_message = (
        "Joining this waiting room needs a quick check by your browser. "
        "Fetch a challenge from /api/v1/queue/challenge, solve it and send it as `altcha`."
    )


class ChallengeInvalid(DomainError):
    """Not a solution we issued for this fan and concert: undecodable, forged, or wrong."""

    code = "challenge_invalid"
    default_message = "The browser check was not valid. Please try again."


class ChallengeExpired(DomainError):
    code = "challenge_expired"
    default_message = "The browser check took too long. Please try again."


class ChallengeUsed(DomainError):
    """Each solution joins once: a replay is refused."""

    code = "challenge_used"
    default_message = "This browser check was already used. Please try again."


class InvalidChallengeDifficulty(DomainError):
    code = "invalid_challenge_difficulty"
    default_message = "The challenge difficulty must be between 0 and 10,000,000."
