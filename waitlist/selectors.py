"""Reads of the waiting list, each in a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from concerts.models import TicketCategory
from waitlist.models import WaitlistEntry, WaitlistOffer

MAX_ID = 2**63 - 1


def _with_position(entries: QuerySet[WaitlistEntry]) -> QuerySet[WaitlistEntry]:
    """Annotate `place`: 1-based among the category's waiting entries (meaningful only for
    a waiting entry; see entry_position)."""
    ahead = (
        WaitlistEntry.objects.filter(
            category_id=OuterRef("category_id"),
            status=WaitlistEntry.Status.WAITING,
            pk__lte=OuterRef("pk"),
        )
        .order_by()
        .values("category_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return entries.annotate(place=Subquery(ahead))


def entry_position(entry: WaitlistEntry) -> int | None:
    if entry.status != WaitlistEntry.Status.WAITING:
        return None
    return getattr(entry, "place", None)


def _entries() -> QuerySet[WaitlistEntry]:
    return _with_position(
        WaitlistEntry.objects.select_related("concert", "category", "offer")
    ).order_by("-pk")


def waitlist_entries_of_fan(*, user, live_only: bool = False) -> list[WaitlistEntry]:
    """The fan's entries, newest first, with concert, category, offer and place: 1 query."""
    entries = _entries().filter(user_id=user.pk)
    if live_only:
        entries = entries.filter(status__in=WaitlistEntry.LIVE_STATUSES)
    return list(entries)


def waitlist_entry_get(*, user, entry_id: int) -> WaitlistEntry | None:
    return _entries().filter(user_id=user.pk, pk=entry_id).first()


def waitlist_entries_of_fan_for_concert(*, user, concert_id: int) -> list[WaitlistEntry]:
    return list(_entries().filter(user_id=user.pk, concert_id=concert_id))


def waitlist_fan_has_live(*, user) -> bool:
    return WaitlistEntry.objects.filter(
        user_id=user.pk, status__in=WaitlistEntry.LIVE_STATUSES
    ).exists()


def waitlist_categories(*, concert_id: int) -> list[TicketCategory]:
    """The concert's categories, with `waiting` (how many wait in each list)."""
    return list(
        TicketCategory.objects.filter(concert_id=concert_id)
        .annotate(
            waiting=Count(
                "waitlist_entries", filter=Q(waitlist_entries__status=WaitlistEntry.Status.WAITING)
            )
        )
        .order_by("price", "pk")
    )


def waitlist_offer_get(*, user, offer_id: int) -> WaitlistOffer | None:
    if not 0 < offer_id <= MAX_ID:
        return None
    return (
        WaitlistOffer.objects.select_related("entry", "category", "category__concert", "booking")
        .filter(pk=offer_id, entry__user_id=user.pk)
        .first()
    )


def waitlist_offer_for_email(*, offer_id: int) -> WaitlistOffer | None:
    return (
        WaitlistOffer.objects.select_related("entry__user", "category", "category__concert")
        .filter(pk=offer_id)
        .first()
    )


def waitlist_summary(concert_id: int) -> dict[str, int]:
    """For the sale report: entries ever made, still waiting, offers made, taken, lapsed."""
    entries = WaitlistEntry.objects.filter(concert_id=concert_id).aggregate(
        entries=Count("pk"), waiting=Count("pk", filter=Q(status=WaitlistEntry.Status.WAITING))
    )
    offers = WaitlistOffer.objects.filter(category__concert_id=concert_id).aggregate(
        offers_made=Count("pk"),
        offers_taken=Count("pk", filter=Q(status=WaitlistOffer.Status.TAKEN)),
        offers_lapsed=Count("pk", filter=Q(status=WaitlistOffer.Status.LAPSED)),
    )
    return {**entries, **offers}
