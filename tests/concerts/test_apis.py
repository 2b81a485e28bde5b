from datetime import timedelta

import pytest
from django.utils import timezone

from concerts.models import Concert, TicketCategory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/concert/"

CONCERT_KEYS = {
    "id",
    "name",
    "slug",
    "venue",
    "timezone",
    "starts_at",
    "sale_starts_at",
    "description",
    "total_seats",
    "available_seats",
    "categories",
}
CATEGORY_KEYS = {"id", "name", "price", "currency", "total_seats", "available_seats"}


def test_concert_shape_matches_the_contract(api_client, make_concert):
    concert = make_concert(
        categories=[("Floor", "120.00", 2000), ("Upper tier", "49.50", 1000)],
        name="Neon Harbor",
        venue="Riverside Arena",
    )
    TicketCategory.objects.filter(name="Floor").update(available_seats=1500, currency="USD")

    response = api_client.get(f"{LIST_URL}{concert.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CONCERT_KEYS
    assert body["id"] == concert.pk
    assert body["slug"] == concert.slug
    assert body["name"] == "Neon Harbor"
    assert body["venue"] == "Riverside Arena"
    assert body["total_seats"] == 3000
    assert body["available_seats"] == 2500
    assert body["starts_at"].endswith("Z") or body["starts_at"].endswith("+00:00")
    floor, upper = body["categories"]
    assert set(floor) == CATEGORY_KEYS
    assert floor["name"] == "Floor"
    assert floor["price"] == "120.00"
    assert floor["currency"] == "usd"
    assert (floor["total_seats"], floor["available_seats"]) == (2000, 1500)
    assert upper["price"] == "49.50"


def test_a_concert_names_its_venue_zone_and_keeps_its_times_in_utc(api_client, make_concert):
    concert = make_concert(categories=[("Floor", "8800", 10)])
    Concert.objects.filter(pk=concert.pk).update(timezone="Asia/Tokyo")
    TicketCategory.objects.filter(concert=concert).update(currency="jpy")

    body = api_client.get(f"{LIST_URL}{concert.pk}/").json()

    assert body["timezone"] == "Asia/Tokyo"
    assert body["starts_at"].endswith("Z")
    assert body["categories"][0]["price"] == "8800.00"
    assert body["categories"][0]["currency"] == "jpy"


def test_list_is_published_only_and_soonest_first(api_client, make_concert):
    now = timezone.now()
    later = make_concert(starts_at=now + timedelta(days=40))
    sooner = make_concert(starts_at=now + timedelta(days=5))
    make_concert(published=False)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [sooner.pk, later.pk]


def test_upcoming_filter_leaves_out_past_concerts(api_client, make_concert):
    now = timezone.now()
    past = make_concert(starts_at=now - timedelta(days=1), sale_starts_at=now - timedelta(days=5))
    upcoming = make_concert()
    assert {c["id"] for c in api_client.get(LIST_URL).json()} == {past.pk, upcoming.pk}
    assert [c["id"] for c in api_client.get(LIST_URL + "?upcoming=true").json()] == [upcoming.pk]
    response = api_client.get(LIST_URL + "?upcoming=perhaps")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_concert_without_categories_has_zero_seats(api_client, make_concert):
    concert = make_concert(categories=[])
    body = api_client.get(f"{LIST_URL}{concert.pk}").json()
    assert (body["total_seats"], body["available_seats"], body["categories"]) == (0, 0, [])


@pytest.mark.parametrize("path", ["/api/v1/concert", "/api/v1/concert/"])
def test_list_answers_with_and_without_trailing_slash(api_client, make_concert, path):
    make_concert()
    response = api_client.get(path)
    assert response.status_code == 200
    assert len(response.json()) == 1


@pytest.mark.parametrize("suffix", ["", "/"])
def test_detail_answers_with_and_without_trailing_slash(api_client, make_concert, suffix):
    concert = make_concert()
    assert api_client.get(f"/api/v1/concert/{concert.pk}{suffix}").status_code == 200


@pytest.mark.parametrize("concert_id", ["999999", "abc", "99999999999999999999999", "-1", "1.5"])
def test_unknown_ids_are_404_not_found(api_client, concert_id):
    response = api_client.get(f"{LIST_URL}{concert_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unpublished_concert_is_404_not_found(api_client, make_concert):
    hidden = make_concert(published=False)
    response = api_client.get(f"{LIST_URL}{hidden.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Concert not found.", "code": "not_found"}


def test_catalog_needs_no_login_but_accepts_one(api_client, auth_client, make_concert):
    make_concert()
    assert api_client.get(LIST_URL).status_code == 200
    assert auth_client.get(LIST_URL).status_code == 200


def _queries_for_list(api_client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = api_client.get(LIST_URL)
    assert response.status_code == 200
    return response.json()


def test_list_runs_in_a_constant_number_of_queries(
    api_client, make_concert, django_assert_num_queries
):
    make_concert(categories=[("A", "1", 10)])
    one = _queries_for_list(api_client, django_assert_num_queries, 2)
    assert len(one) == 1

    for n in range(12):
        make_concert(categories=[(f"C{i}", "5", 10 + i) for i in range(4)], name=f"Many {n}")
    many = _queries_for_list(api_client, django_assert_num_queries, 2)
    assert len(many) == 13
    assert sum(len(c["categories"]) for c in many) == 1 + 12 * 4


def test_detail_runs_in_two_queries(api_client, make_concert, django_assert_num_queries):
    concert = make_concert(categories=[(f"C{i}", "5", 10) for i in range(5)])
    with django_assert_num_queries(2):
        response = api_client.get(f"{LIST_URL}{concert.pk}/")
    assert len(response.json()["categories"]) == 5


def test_routes_are_in_the_openapi_schema(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/concert/" in text or "/api/v1/concert" in text
    assert "concert_list" in text
    assert "concert_retrieve" in text
