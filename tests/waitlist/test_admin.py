"""Staff see the list in its order and manage it with two audited actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.audit import audit_entries
from tests.waitlist.conftest import deliver_all
from waitlist.models import WaitlistEntry, WaitlistOffer

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:waitlist_waitlistentry_changelist"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_changelists_show_entries_and_offers(staff_client, on_list, category):
    page = staff_client.get(reverse(CHANGELIST), {"category__id__exact": category.pk})
    assert page.status_code == 200
    assert page.content.decode().count("waiting") >= 3
    assert staff_client.get(reverse("admin:waitlist_waitlistoffer_changelist")).status_code == 200


def test_make_offers_now_offers_free_seats_and_is_audited(staff_client, on_list, category):
    category.available_seats = 2  # seats back by a path that did not kick the list
    category.save()
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "make_offers_now", "_selected_action": [e.pk for e in on_list]},
        follow=True,
    )
    assert "1 offer(s) made." in response.content.decode()
    offer = WaitlistOffer.objects.get()
    assert offer.entry_id == on_list[0].pk
    assert audit_entries(on_list[0])[0].change_message.startswith("Offer made by staff")


def test_remove_from_the_list_withdraws_and_is_audited(staff_client, on_list, category, holders):
    from tests.waitlist.conftest import give_back

    give_back(holders[0])
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "remove_from_list", "_selected_action": [on_list[0].pk]},
        follow=True,
    )
    assert "1 entry removed." in response.content.decode()
    deliver_all()
    assert WaitlistEntry.objects.get(pk=on_list[0].pk).status == WaitlistEntry.Status.LEFT
    assert WaitlistOffer.objects.get(entry=on_list[0]).status == WaitlistOffer.Status.WITHDRAWN
    assert WaitlistEntry.objects.get(pk=on_list[1].pk).status == WaitlistEntry.Status.OFFERED
    assert "Removed from the waiting list" in audit_entries(on_list[0])[0].change_message
