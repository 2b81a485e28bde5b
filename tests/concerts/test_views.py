from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from concerts.models import TicketCategory

pytestmark = pytest.mark.django_db

HOME = reverse("concerts:home")


def detail_url(concert):
    return reverse("concerts:detail", kwargs={"slug": concert.slug})


def _card(page, name):
    """The HTML of the home page card that names `name`."""
    start = page.index(name)
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]


def test_home_lists_upcoming_published_concerts_with_badges(client, make_concert):
    now = timezone.now()
    make_concert(name="On Sale Show", categories=[("Floor", "120.00", 100), ("Upper", "49.50", 50)])
    make_concert(name="Later Show", sale_starts_at=now + timedelta(days=3))
    make_concert(name="Gone Show", categories=[("GA", "30", 100)])
    TicketCategory.objects.filter(concert__name="Gone Show").update(available_seats=0)
    make_concert(name="Nearly Gone", categories=[("GA", "30", 100)])
    TicketCategory.objects.filter(concert__name="Nearly Gone").update(available_seats=9)
    make_concert(name="Hidden Draft", published=False)
    make_concert(
        name="Old Show", starts_at=now - timedelta(days=1), sale_starts_at=now - timedelta(days=9)
    )

    response = client.get(HOME)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Hidden Draft" not in page
    assert "Old Show" not in page
    on_sale = _card(page, "On Sale Show")
    assert "On sale" in on_sale
    assert "from $49.50" in on_sale
    assert "Sale opens" in _card(page, "Later Show")
    assert "Sold out" in _card(page, "Gone Show")
    assert "Few left" in _card(page, "Nearly Gone")
    first = response.context["listings"][0].concert
    assert f'href="{detail_url(first)}"' in page


def test_home_runs_in_a_constant_number_of_queries(client, make_concert, django_assert_num_queries):
    for n in range(6):
        make_concert(name=f"Show {n}", categories=[("A", "10", 10), ("B", "20", 10)])
    with django_assert_num_queries(2):
        assert client.get(HOME).status_code == 200


def test_home_without_concerts_says_so(client):
    assert "No concerts are on the calendar" in client.get(HOME).content.decode()


def test_detail_shows_categories_and_a_get_tickets_button(client, make_concert):
    concert = make_concert(
        name="Neon Harbor",
        venue="Riverside Arena",
        categories=[("Floor", "120.00", 100), ("Upper tier", "49.50", 100)],
    )
    TicketCategory.objects.filter(name="Upper tier").update(available_seats=5)

    page = client.get(detail_url(concert)).content.decode()

    assert "<h1>Neon Harbor</h1>" in page
    assert "Riverside Arena" in page
    assert "Floor" in page
    assert "$120" in page
    assert "$49.50" in page
    assert "Few left" in page  # Upper tier
    room = reverse("queueing:room", kwargs={"concert_id": concert.id})
    assert f'href="{room}"' in page
    assert "Get tickets" in page


def test_sold_out_detail_has_no_button(client, make_concert):
    concert = make_concert()
    TicketCategory.objects.filter(concert=concert).update(available_seats=0)
    page = client.get(detail_url(concert)).content.decode()
    assert "Sold out" in page
    assert reverse("queueing:room", kwargs={"concert_id": concert.id}) not in page


def test_sale_not_open_shows_when_and_the_prequeue(client, make_concert, settings):
    settings.QUEUE_PREQUEUE_SECONDS = 1800
    now = timezone.now()
    far = make_concert(sale_starts_at=now + timedelta(days=3))
    page = client.get(detail_url(far)).content.decode()
    assert "The sale opens" in page
    assert "30 minutes before the sale" in page
    assert reverse("queueing:room", kwargs={"concert_id": far.id}) not in page

    soon = make_concert(sale_starts_at=now + timedelta(minutes=10))
    page = client.get(detail_url(soon)).content.decode()
    assert "Join the waiting room" in page
    assert reverse("queueing:room", kwargs={"concert_id": soon.id}) in page


def test_unpublished_detail_is_404_except_for_staff(client, make_concert, staff_user):
    draft = make_concert(published=False)
    assert client.get(detail_url(draft)).status_code == 404
    client.force_login(staff_user)
    response = client.get(detail_url(draft))
    assert response.status_code == 200
    assert "Not published" in response.content.decode()


def test_unknown_slug_is_404(client):
    assert client.get("/concerts/no-such-show/").status_code == 404


def test_past_concert_page_says_it_happened(client, make_concert):
    now = timezone.now()
    past = make_concert(starts_at=now - timedelta(hours=2), sale_starts_at=now - timedelta(days=9))
    page = client.get(detail_url(past)).content.decode()
    assert "already taken place" in page
    assert reverse("queueing:room", kwargs={"concert_id": past.id}) not in page


def test_pages_use_no_inline_script(client, make_concert):
    concert = make_concert()
    for url in (HOME, detail_url(concert)):
        page = client.get(url).content.decode()
        assert "<script>" not in page
        assert "concerts/local-time.js" in page


def test_concert_without_categories_says_tickets_come_later(client, make_concert):
    concert = make_concert(categories=[], name="Announced Early")
    assert "Tickets soon" in _card(client.get(HOME).content.decode(), "Announced Early")
    page = client.get(detail_url(concert)).content.decode()
    assert "Tickets have not been announced yet" in page
    assert reverse("queueing:room", kwargs={"concert_id": concert.id}) not in page
