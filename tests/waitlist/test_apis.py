"""The waiting-list API: join, mine, leave, accept an offer; codes and shapes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import TicketCategoryFactory
from tests.waitlist.conftest import give_back
from waitlist import services
from waitlist.models import WaitlistEntry, WaitlistOffer

pytestmark = pytest.mark.django_db

URL = "/api/v1/waitlist"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_join_answers_201_with_the_entry(category, concert, fans):
    response = client_for(fans[0]).post(
        URL, {"concert_id": concert.pk, "category_id": category.pk, "quantity": 2}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id", "concert_id", "category_id", "quantity", "status", "position", "created_at", "offer",
    }  # fmt: skip
    assert (body["status"], body["position"], body["offer"]) == ("waiting", 1, None)
    assert (body["concert_id"], body["category_id"], body["quantity"]) == (
        concert.pk,
        category.pk,
        2,
    )


def test_join_refusals_carry_their_codes(category, concert, fans):
    client = client_for(fans[0])
    open_category = TicketCategoryFactory(concert=concert, total_seats=5)
    payload = {"concert_id": concert.pk, "category_id": open_category.pk, "quantity": 1}
    response = client.post(URL, payload, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "seats_available")

    payload = {"concert_id": concert.pk, "category_id": category.pk, "quantity": 1}
    assert client.post(URL, payload, format="json").status_code == 201
    response = client.post(URL, payload, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "waitlist_entry_exists")

    response = client.post(URL, {**payload, "quantity": 99}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = client.post(URL, {**payload, "category_id": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = client.post(URL, {**payload, "category_id": 10**12}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = APIClient().post(URL, payload, format="json")
    assert response.status_code == 401


def test_mine_lists_entries_with_place_and_offer(category, holders, on_list, fans):
    give_back(holders[0])
    mine = client_for(fans[0]).get(f"{URL}/mine").json()
    assert len(mine) == 1
    assert mine[0]["status"] == "offered"
    assert mine[0]["position"] is None
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    assert mine[0]["offer"]["id"] == offer.pk
    assert mine[0]["offer"]["status"] == "open"
    assert mine[0]["offer"]["quantity"] == 2
    second = client_for(fans[1]).get(f"{URL}/mine").json()
    assert second[0]["position"] == 1


def test_leave_answers_204_and_others_entries_404(on_list, fans):
    assert client_for(fans[1]).delete(f"{URL}/{on_list[0].pk}").status_code == 404
    assert client_for(fans[0]).delete(f"{URL}/{on_list[0].pk}").status_code == 204
    assert WaitlistEntry.objects.get(pk=on_list[0].pk).status == "left"
    assert client_for(fans[0]).delete(f"{URL}/{10**19 - 1}").status_code == 404


def test_accept_answers_201_with_the_booking(category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    response = client_for(fans[0]).post(f"{URL}/offers/{offer.pk}/accept")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert (body["category_id"], body["quantity"]) == (category.pk, 2)
    assert "reference" in body
    assert client_for(fans[1]).post(f"{URL}/offers/{offer.pk}/accept").status_code == 404


def test_accept_of_a_lapsed_offer_is_409_offer_not_open(category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    services.waitlist_offers_lapse_overdue(now=offer.expires_at)
    response = client_for(fans[0]).post(f"{URL}/offers/{offer.pk}/accept")
    assert (response.status_code, response.json()["code"]) == (409, "offer_not_open")


def test_the_routes_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/json").content.decode()
    for route in ("/api/v1/waitlist", "/api/v1/waitlist/mine", "offers/{id}/accept"):
        assert route in schema or route.replace("{id}", "{pk}") in schema
