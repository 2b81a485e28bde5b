from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from concerts.errors import CategoryShrinkRefused
from concerts.models import Concert, TicketCategory
from concerts.permissions import BOX_OFFICE_STAFF_GROUP
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:concerts_concert_changelist")
ADD_URL = reverse("admin:concerts_concert_add")


def change_url(concert):
    return reverse("admin:concerts_concert_change", args=[concert.pk])


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _split(when):
    return when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S")


def concert_form(concert=None, categories=(), **overrides):
    """POST data for the concert admin form with its category inline.

    categories: dicts with name, price, currency, total_seats, display_order and, for an
    existing row, id (and optionally DELETE).
    """
    now = timezone.now().replace(microsecond=0)
    starts_at = concert.starts_at if concert else now + timedelta(days=30)
    sale_starts_at = concert.sale_starts_at if concert else now - timedelta(hours=1)
    data = {
        "name": concert.name if concert else "Admin Made",
        "slug": concert.slug if concert else "admin-made",
        "venue": concert.venue if concert else "Town Hall",
        "timezone": concert.timezone if concert else "UTC",
        "description": concert.description if concert else "",
        "starts_at_0": _split(starts_at)[0],
        "starts_at_1": _split(starts_at)[1],
        "sale_starts_at_0": _split(sale_starts_at)[0],
        "sale_starts_at_1": _split(sale_starts_at)[1],
        "categories-TOTAL_FORMS": str(len(categories)),
        "categories-INITIAL_FORMS": str(sum(1 for c in categories if "id" in c)),
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    if concert is None or concert.published:
        data["published"] = "on"
    for index, category in enumerate(categories):
        for key, value in category.items():
            data[f"categories-{index}-{key}"] = str(value)
        if concert is not None:
            data[f"categories-{index}-concert"] = str(concert.pk)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def category_row(category, **changes):
    row = {
        "id": category.pk,
        "name": category.name,
        "price": category.price,
        "currency": category.currency,
        "total_seats": category.total_seats,
        "display_order": category.display_order,
    }
    row.update(changes)
    return row


def test_staff_create_a_concert_with_categories_and_it_is_listed(admin_client, client):
    data = concert_form(
        categories=[
            {
                "name": "Floor",
                "price": "120",
                "currency": "USD",
                "total_seats": 2000,
                "display_order": 0,
            },
            {
                "name": "Balcony",
                "price": "49.50",
                "currency": "usd",
                "total_seats": 500,
                "display_order": 1,
            },
        ]
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    concert = Concert.objects.get(slug="admin-made")
    rows = list(
        concert.categories.values_list("name", "currency", "total_seats", "available_seats")
    )
    assert rows == [("Floor", "usd", 2000, 2000), ("Balcony", "usd", 500, 500)]
    assert client.get("/api/v1/concert/").json()[0]["total_seats"] == 2500
    assert "Admin Made" in client.get("/").content.decode()


def test_admin_form_explains_a_sale_after_the_concert(admin_client):
    now = timezone.now()
    data = concert_form(
        sale_starts_at_0=_split(now + timedelta(days=40))[0],
        sale_starts_at_1="10:00:00",
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert "The sale must start before the concert." in response.content.decode()
    assert not Concert.objects.exists()


@pytest.fixture
def busy_category(make_concert):
    """100 seats: 30 sold, 10 held by a pending booking, 60 available."""
    category = make_concert(categories=[("Floor", "100.00", 100)]).categories.get()
    BookingFactory(category=category, quantity=30, confirmed=True)
    BookingFactory(category=category, quantity=10)
    return category


def test_shrinking_below_sold_and_held_is_refused(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, total_seats=39)])
    response = admin_client.post(change_url(concert), data)
    assert response.status_code == 200
    assert "40 seats are already sold or held" in response.content.decode()
    busy_category.refresh_from_db()
    assert (busy_category.total_seats, busy_category.available_seats) == (100, 60)


def test_shrinking_down_to_sold_and_held_is_allowed(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, total_seats=40)])
    assert admin_client.post(change_url(concert), data).status_code == 302
    busy_category.refresh_from_db()
    assert (busy_category.total_seats, busy_category.available_seats) == (40, 0)


def test_growing_a_category_adds_the_seats_to_available(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, total_seats=250)])
    assert admin_client.post(change_url(concert), data).status_code == 302
    busy_category.refresh_from_db()
    assert (busy_category.total_seats, busy_category.available_seats) == (250, 210)


def test_editing_a_price_never_writes_a_stale_seat_count(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, price="90.00")])
    BookingFactory(
        category=busy_category, quantity=5, confirmed=True
    )  # sold after the staff member loaded the form
    assert admin_client.post(change_url(concert), data).status_code == 302
    busy_category.refresh_from_db()
    assert busy_category.price == 90
    assert (busy_category.total_seats, busy_category.available_seats) == (100, 55)


def test_a_booking_between_check_and_save_rolls_the_whole_save_back(
    admin_client, busy_category, monkeypatch
):
    # The form's early check saw free seats; by the UPDATE they were gone.
    monkeypatch.setattr(
        "concerts.admin.category_check_total_seats",
        lambda *, category_id, total_seats: (100, 100),
    )
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, total_seats=10)], name="Renamed")
    response = admin_client.post(change_url(concert), data)
    assert response.status_code == 302
    assert response["Location"] == change_url(concert)
    busy_category.refresh_from_db()
    concert.refresh_from_db()
    assert (busy_category.total_seats, busy_category.available_seats) == (100, 60)
    assert concert.name != "Renamed"
    page = admin_client.get(change_url(concert)).content.decode()
    assert "Reload the page and try again" in page
    assert CategoryShrinkRefused.code == "category_shrink_refused"


def test_a_category_with_bookings_cannot_be_deleted(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, DELETE="on")])
    response = admin_client.post(change_url(concert), data)
    assert response.status_code == 200
    assert TicketCategory.objects.filter(pk=busy_category.pk).exists()


def test_new_category_on_an_existing_concert(admin_client, busy_category):
    concert = busy_category.concert
    data = concert_form(
        concert,
        [
            category_row(busy_category),
            {
                "name": "Balcony",
                "price": "20",
                "currency": "usd",
                "total_seats": 30,
                "display_order": 1,
            },
        ],
    )
    assert admin_client.post(change_url(concert), data).status_code == 302
    balcony = concert.categories.get(name="Balcony")
    assert (balcony.total_seats, balcony.available_seats) == (30, 30)


def test_changelist_shows_sold_held_available_and_revenue(
    admin_client, make_concert, django_assert_max_num_queries
):
    concert = make_concert(categories=[("A", "100.00", 100), ("B", "50.00", 100)], name="Busy One")
    a, b = concert.categories.order_by("display_order")
    BookingFactory(category=a, quantity=3, confirmed=True)
    BookingFactory(category=b, quantity=4, confirmed=True)
    BookingFactory(category=b, quantity=2)
    for n in range(5):
        make_concert(name=f"Quiet {n}")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == concert.pk)
    assert (row.seats_sold, row.seats_held, row.seats_free, row.seats_capacity) == (7, 2, 191, 200)
    page = response.content.decode()
    assert "$500.00" in page  # 3 x 100 + 4 x 50, by the one money formatter
    assert "191 / 200" in page


def test_changelist_query_count_does_not_grow_with_concerts(
    admin_client, make_concert, django_assert_max_num_queries
):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(ctx.captured_queries)

    make_concert()
    few = count_queries()
    for n in range(8):
        category = make_concert(name=f"More {n}").categories.get()
        BookingFactory(category=category, quantity=1, confirmed=True)
    assert count_queries() == few


def test_when_filter_and_search(admin_client, make_concert):
    now = timezone.now()
    make_concert(name="Coming Soon", sale_starts_at=now + timedelta(days=1))
    make_concert(name="Selling Now", venue="Riverside Arena")
    make_concert(
        name="Done And Dusted",
        starts_at=now - timedelta(days=1),
        sale_starts_at=now - timedelta(days=9),
    )

    def names(query):
        response = admin_client.get(CHANGELIST + query)
        return {c.name for c in response.context["cl"].result_list}

    assert names("?when=upcoming") == {"Coming Soon", "Selling Now"}
    assert names("?when=on_sale") == {"Selling Now"}
    assert names("?when=past") == {"Done And Dusted"}
    assert names("?q=riverside") == {"Selling Now"}


def test_publish_and_unpublish_actions(admin_client, make_concert):
    draft = make_concert(published=False, name="Draft")
    empty = make_concert(published=False, categories=[], name="No Categories")
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [draft.pk, empty.pk]}, follow=True
    )
    page = response.content.decode()
    assert "Published 1 concert(s)." in page
    assert "No Categories has no ticket categories" in page
    draft.refresh_from_db()
    empty.refresh_from_db()
    assert draft.published
    assert not empty.published

    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.published


def test_slug_is_prepopulated_from_the_name(admin_client):
    page = admin_client.get(ADD_URL).content.decode()
    assert "prepopulated" in page
    assert 'id="id_slug"' in page


def test_box_office_staff_group_has_exactly_the_staff_permissions():
    group = Group.objects.get(name=BOX_OFFICE_STAFF_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    expected = {
        ("concerts", "view_concert"),
        ("concerts", "add_concert"),
        ("concerts", "change_concert"),
        ("concerts", "view_ticketcategory"),
        ("concerts", "add_ticketcategory"),
        ("concerts", "change_ticketcategory"),
        ("bookings", "view_booking"),
        ("bookings", "change_booking"),
        ("bookings", "view_ticket"),
        ("payments", "view_payment"),
        ("queueing", "view_queueentry"),
        ("queueing", "change_queueentry"),
    }
    assert codenames == expected
    assert not any(app == "accounts" for app, _ in codenames)
    assert not any(code.startswith("delete_") for _, code in codenames)


def test_group_member_runs_concerts_but_cannot_touch_users(client, make_user, make_concert):
    member = make_user(email="door@example.com", is_staff=True)
    member.groups.add(Group.objects.get(name=BOX_OFFICE_STAFF_GROUP))
    client.force_login(member)
    concert = make_concert()
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(ADD_URL).status_code == 200
    assert client.get(change_url(concert)).status_code == 200
    assert (
        client.get(reverse("admin:concerts_concert_delete", args=[concert.pk])).status_code == 403
    )
    assert member.has_perm("concerts.change_ticketcategory")
    assert not member.has_perm("accounts.change_user")
    assert not member.has_perm("accounts.view_user")
    assert not Permission.objects.filter(
        group__name=BOX_OFFICE_STAFF_GROUP, codename__contains="user"
    ).exists()


def test_resizing_and_repricing_a_category_is_audited_on_the_concert(admin_client, busy_category):
    from config.audit import audit_entries

    concert = busy_category.concert
    data = concert_form(concert, [category_row(busy_category, total_seats=120, price="90.00")])
    assert admin_client.post(change_url(concert), data).status_code == 302
    messages = [(e.user.is_staff, e.change_message) for e in audit_entries(concert)]
    assert (True, "Category Floor: total seats 100 → 120, price 100.00 → 90.00.") in messages
    history = admin_client.get(reverse("admin:concerts_concert_history", args=[concert.pk]))
    assert "total seats 100 → 120" in history.content.decode()
