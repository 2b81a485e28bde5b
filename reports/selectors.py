"""The report after a sale: what happened, from the durable records, for staff.

Every figure is read from PostgreSQL (QueueEntry, Booking, the draw, the waiting list)
except the challenge counters (queueing.challenge.challenge_counts), which live in Redis
under the concert's hash tag: a bot flood must not write a row per failed attempt. Admissions are the fans' durable
`admitted_at`: a fan admitted twice (a slot that ran out, then a second place in line)
counts once, at the last admission.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMinute
from django.utils import timezone

from bookings.models import Booking
from concerts.models import Concert
from concerts.selectors import concert_stock
from queueing.challenge import challenge_counts
from queueing.models import QueueEntry
from queueing.selectors import draw_summary
from waitlist.selectors import waitlist_summary

# The chart shows at most this many minutes from the first admission (a long tail of
# late admissions is summed into the last bar's "later" note instead of a 2,000-bar chart).
CHART_MAX_MINUTES = 240


@dataclass(frozen=True)
class PerMinute:
    minute: datetime
    admitted: int
    purchases: int


@dataclass(frozen=True)
class SaleFigures:
    concert_id: int
    concert_name: str
    sale_starts_at: datetime
    generated_at: datetime
    seats_total: int
    seats_sold: int
    seats_held: int
    seats_free: int
    fans_joined: int
    prequeue_size: int
    queue_outcomes: dict[str, int]
    fans_admitted: int
    fans_bought: int
    conversion: float | None  # fans who bought / fans admitted
    sold_out_at: datetime | None  # when the line closed as sold out (first time)
    time_to_sell_out_seconds: int | None
    holds_expired: int
    seats_expired: int
    holds_cancelled: int
    refunds: int
    refunded_amount: Decimal
    currency: str
    per_minute: list[PerMinute] = field(default_factory=list)
    later_admissions: int = 0  # admitted after the chart's last minute
    draw: dict | None = None
    waiting_list: dict | None = None
    challenges: dict | None = None

    @property
    def busiest_minute(self) -> int:
        return max((row.admitted for row in self.per_minute), default=0)

    def as_dict(self) -> dict:
        body = asdict(self)
        body["refunded_amount"] = str(Decimal(self.refunded_amount).quantize(Decimal("0.01")))
        body["conversion"] = None if self.conversion is None else round(self.conversion, 4)
        for key in ("sale_starts_at", "generated_at", "sold_out_at"):
            body[key] = _iso(getattr(self, key))
        body["per_minute"] = [
            {"minute": _iso(row.minute), "admitted": row.admitted, "purchases": row.purchases}
            for row in self.per_minute
        ]
        if self.draw and self.draw.get("drawn_at"):
            body["draw"] = {**self.draw, "drawn_at": _iso(self.draw["drawn_at"])}
        return body

    def as_csv(self) -> str:
        """Two tables: the figures (metric, value), then the minutes of the sale."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["metric", "value"])
        body = self.as_dict()
        for key, value in body.items():
            if key == "per_minute":
                continue
            if isinstance(value, dict):
                for inner, inner_value in value.items():
                    if isinstance(inner_value, dict):
                        for name, deep in inner_value.items():
                            writer.writerow([f"{key}.{inner}.{name}", _cell(deep)])
                    else:
                        writer.writerow([f"{key}.{inner}", _cell(inner_value)])
            else:
                writer.writerow([key, _cell(value)])
        writer.writerow([])
        writer.writerow(["minute", "admitted", "purchases"])
        for row in body["per_minute"]:
            writer.writerow([row["minute"], row["admitted"], row["purchases"]])
        return out.getvalue()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet would run a cell that starts like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sale_report(*, concert_id: int, now: datetime | None = None) -> SaleFigures:
    """The figures of one concert's sale (Concert.DoesNotExist if there is no such concert).

    A handful of aggregate queries whatever the size of the sale, plus one per minute-table
    (admissions, purchases) grouped in the database."""
    now = now or timezone.now()
    concert = Concert.objects.get(pk=concert_id)
    stock = concert_stock(concert_id=concert_id)
    entries = QueueEntry.objects.filter(concert_id=concert_id)
    bookings = Booking.objects.filter(concert_id=concert_id)
    Status = Booking.Status

    counts = entries.aggregate(
        joined=Count("id"),
        prequeue=Count("id", filter=Q(joined_at__lt=concert.sale_starts_at)),
        admitted=Count("id", filter=Q(admitted_at__isnull=False)),
        # when the turnstile closed the line as sold out (the fans still waiting were told)
        closed=Min("finished_at", filter=Q(status=QueueEntry.Status.SOLD_OUT)),
    )
    outcomes = dict(
        entries.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    money = bookings.aggregate(
        bought=Count("user", filter=Q(status=Status.CONFIRMED), distinct=True),
        expired=Count("id", filter=Q(status=Status.EXPIRED)),
        seats_expired=Sum("quantity", filter=Q(status=Status.EXPIRED), default=0),
        cancelled=Count("id", filter=Q(status=Status.CANCELLED, refunded_at__isnull=True)),
        refunds=Count("id", filter=Q(refunded_at__isnull=False)),
        refunded=Sum("total_amount", filter=Q(refunded_at__isnull=False), default=Decimal(0)),
        held=Sum("quantity", filter=Q(status=Status.PENDING), default=0),
        last_sale=Max("confirmed_at", filter=Q(status=Status.CONFIRMED)),
    )
    currency = (
        concert.categories.order_by("display_order", "id")
        .values_list("currency", flat=True)
        .first()
        or "usd"
    )
    # The moment the line closed as sold out; with nobody left waiting then, the last sale
    # of a concert sold out now. Seats resold later (waiting list) do not move it.
    sold_out_at = counts["closed"] or (money["last_sale"] if stock.sold_out else None)
    per_minute, later = _per_minute(entries, bookings)
    admitted = counts["admitted"]
    drawn = draw_summary(concert_id)
    return SaleFigures(
        concert_id=concert.pk,
        concert_name=concert.name,
        sale_starts_at=concert.sale_starts_at,
        generated_at=now,
        seats_total=stock.total,
        seats_sold=stock.sold,
        seats_held=money["held"],
        seats_free=stock.free,
        fans_joined=counts["joined"],
        # The draw's entries once drawn (the pre-queue as it stood at sale start); before,
        # the fans who joined before the sale opened.
        prequeue_size=drawn["prequeue_size"] if drawn and drawn["drawn_at"] else counts["prequeue"],
        queue_outcomes=outcomes,
        fans_admitted=admitted,
        fans_bought=money["bought"],
        conversion=money["bought"] / admitted if admitted else None,
        sold_out_at=sold_out_at,
        time_to_sell_out_seconds=None
        if sold_out_at is None
        else max(0, int((sold_out_at - concert.sale_starts_at).total_seconds())),
        holds_expired=money["expired"],
        seats_expired=money["seats_expired"],
        holds_cancelled=money["cancelled"],
        refunds=money["refunds"],
        refunded_amount=money["refunded"],
        currency=currency,
        per_minute=per_minute,
        later_admissions=later,
        draw=drawn,
        waiting_list=waitlist_summary(concert_id),
        challenges=challenge_counts(concert_id),
    )


def _per_minute(entries, bookings) -> tuple[list[PerMinute], int]:
    """Admissions and purchases per minute, from the first admission (or purchase) for at
    most CHART_MAX_MINUTES, with the empty minutes in between; and what came later."""
    admitted = dict(
        entries.filter(admitted_at__isnull=False)
        .annotate(minute=TruncMinute("admitted_at"))
        .order_by()
        .values("minute")
        .annotate(n=Count("id"))
        .values_list("minute", "n")
    )
    bought = dict(
        bookings.filter(status=Booking.Status.CONFIRMED, confirmed_at__isnull=False)
        .annotate(minute=TruncMinute("confirmed_at"))
        .order_by()
        .values("minute")
        .annotate(n=Count("id"))
        .values_list("minute", "n")
    )
    minutes = sorted({*admitted, *bought})
    if not minutes:
        return [], 0
    first, last = minutes[0], minutes[-1]
    end = min(last, first + timedelta(minutes=CHART_MAX_MINUTES - 1))
    rows = []
    minute = first
    while minute <= end:
        rows.append(
            PerMinute(
                minute=minute, admitted=admitted.get(minute, 0), purchases=bought.get(minute, 0)
            )
        )
        minute += timedelta(minutes=1)
    later = sum(n for moment, n in admitted.items() if moment > end)
    return rows, later
