"""The report after a sale (issue #12 part 6): figures, the admin page, JSON, CSV, command."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from queueing import redis_queue
from queueing import services as queue_services
from queueing.models import QueueEntry
from reports.selectors import sale_report
from tests.factories import BookingFactory, ConcertFactory, TicketCategoryFactory, UserFactory


@pytest.fixture
def sale(db, settings, fast_fans):
    """A small sale that sold out: 6 seats, 3 buyers of 2, an expired hold, a refund."""
    settings.QUEUE_ABANDON_SECONDS = 3600
    concert = ConcertFactory(name="Report Night", timezone="Asia/Tokyo")
    category = TicketCategoryFactory(
        concert=concert, total_seats=6, price=Decimal("8800"), currency="jpy"
    )
    redis_queue.clear(concert.pk)
    fans = UserFactory.create_batch(5)
    for fan in fans:
        queue_services.queue_join(user_id=fan.pk, concert=concert)
    # Two of them had joined before the sale opened (the pre-queue).
    QueueEntry.objects.filter(user__in=fans[:2]).update(
        joined_at=concert.sale_starts_at - timedelta(minutes=5)
    )
    settings.QUEUE_SEATS_PER_ADMISSION = 1
    queue_services.queue_admit_next(concert_id=concert.pk)
    for fan in fans[:3]:
        BookingFactory(user=fan, category=category, confirmed=True)
    BookingFactory(user=fans[3], category=category, expired=True)
    BookingFactory(
        user=fans[4],
        category=category,
        cancelled=True,
        refunded_at=timezone.now(),
        refund_reason="paid after the hold",
    )
    return concert


def test_the_figures_of_a_sale(sale):
    figures = sale_report(concert_id=sale.pk)

    assert (figures.seats_total, figures.seats_sold, figures.seats_free) == (6, 6, 0)
    assert figures.fans_joined == 5
    assert figures.prequeue_size == 2
    assert figures.fans_admitted == 5
    assert figures.fans_bought == 3
    assert figures.conversion == pytest.approx(0.6)
    assert figures.sold_out_at is not None
    assert figures.time_to_sell_out_seconds >= 3600  # the sale opened an hour ago
    assert (figures.holds_expired, figures.seats_expired) == (1, 2)
    assert (figures.refunds, figures.refunded_amount) == (1, Decimal("17600"))
    assert figures.currency == "jpy"
    assert sum(row.admitted for row in figures.per_minute) == 5
    assert sum(row.purchases for row in figures.per_minute) == 3
    assert figures.queue_outcomes == {"active": 5}


def test_a_report_costs_a_handful_of_queries(sale, django_assert_max_num_queries):
    # the concert, its stock, three aggregates, two per-minute tables, the currency, the
    # draw, the waiting list (two): a constant number whatever the size of the sale
    with django_assert_max_num_queries(11):
        sale_report(concert_id=sale.pk)


def test_staff_see_the_report_page_with_its_chart(sale, client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:reports_sale_report", args=[sale.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sale report: Report Night" in page
    assert "<svg" in page
    assert "3 of 5 admitted fans bought (60 %)" in page
    index = client.get(reverse("admin:reports_salereport_changelist"))
    assert reverse("admin:reports_sale_report_csv", args=[sale.pk]) in index.content.decode()


def test_the_json_and_csv_downloads(sale, client, staff_user):
    client.force_login(staff_user)
    as_json = client.get(reverse("admin:reports_sale_report_json", args=[sale.pk]))
    assert as_json["Content-Disposition"].startswith('attachment; filename="sale-report-')
    body = json.loads(as_json.content)
    assert body["fans_bought"] == 3
    assert body["refunded_amount"] == "17600.00"
    assert len(body["per_minute"]) >= 1

    as_csv = client.get(reverse("admin:reports_sale_report_csv", args=[sale.pk]))
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[0] == ["metric", "value"]
    assert ["fans_admitted", "5"] in rows
    assert ["minute", "admitted", "purchases"] in rows


def test_fans_cannot_see_reports(sale, client, make_user):
    client.force_login(make_user())
    response = client.get(reverse("admin:reports_sale_report_json", args=[sale.pk]))
    assert response.status_code == 302  # to the admin login


def test_the_command_prints_the_report(sale):
    out = io.StringIO()
    call_command("sale_report", str(sale.pk), stdout=out)
    assert "Sale report: Report Night" in out.getvalue()
    out = io.StringIO()
    call_command("sale_report", str(sale.pk), "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["seats_sold"] == 6


def test_a_csv_cell_cannot_become_a_formula(db):
    concert = ConcertFactory(name="=HYPERLINK(evil)")
    rows = list(csv.reader(io.StringIO(sale_report(concert_id=concert.pk).as_csv())))
    assert ["concert_name", "'=HYPERLINK(evil)"] in rows


@pytest.mark.django_db(transaction=True)
def test_the_report_of_a_simulated_sale_has_every_part():
    """bench.simulate_sale end to end (small): the draw, the sell-out, the waiting list's
    offers taken and lapsed, the refunds, and the bots refused at the door."""
    from bench.simulate_sale import run_simulation

    concert = run_simulation(fans=60, seats=20, seed=3, log=lambda *_: None)
    figures = sale_report(concert_id=concert.pk)

    assert figures.seats_sold == figures.seats_total == 20
    assert figures.sold_out_at is not None
    assert figures.draw["seed"] is not None
    assert figures.draw["entries"] == figures.prequeue_size > 0
    assert figures.refunds == 3
    assert figures.waiting_list["offers_made"] >= 2
    assert figures.waiting_list["offers_taken"] >= 1
    assert figures.waiting_list["offers_lapsed"] >= 1
    assert figures.challenges["failed"] == 29
    assert figures.challenges["solved"] >= figures.fans_joined - 1
    assert figures.queue_outcomes.get("sold_out", 0) > 0
