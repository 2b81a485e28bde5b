import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from queueing import selectors, services

pytestmark = pytest.mark.django_db


def live_url(concert):
    return reverse("admin:queueing_live", kwargs={"concert_id": concert.pk})


def test_staff_see_the_live_queue(client, staff_user, concert, fans):
    for fan in fans(3):
        services.queue_join(user_id=fan.pk, concert=concert)
    services.queue_admit_next(concert_id=concert.pk)
    client.force_login(staff_user)
    response = client.get(live_url(concert))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Waiting (in line)", "Active", "Admitted in the last minute", "Estimated wait"):
        assert label in html
    index = client.get(reverse("admin:queueing_live_index"))
    assert index.status_code == 200
    assert concert.name in index.content.decode()
    assert client.get(reverse("admin:queueing_queueentry_changelist")).status_code == 200


def test_staff_pause_resume_and_change_the_cap(client, staff_user, concert):
    client.force_login(staff_user)
    assert client.post(live_url(concert), {"action": "pause"}).status_code == 302
    assert selectors.queue_overview(concert_id=concert.pk).paused
    client.post(live_url(concert), {"action": "resume"})
    assert not selectors.queue_overview(concert_id=concert.pk).paused
    client.post(live_url(concert), {"action": "cap", "cap": "7"})
    assert selectors.queue_overview(concert_id=concert.pk).cap == 7
    bad = client.post(live_url(concert), {"action": "cap", "cap": "-1"})
    assert bad.status_code == 200  # the form shows its error
    assert selectors.queue_overview(concert_id=concert.pk).cap == 7
    client.post(live_url(concert), {"action": "cap", "cap": ""})
    assert not selectors.queue_overview(concert_id=concert.pk).cap_overridden


def test_staff_who_may_only_view_cannot_change_the_queue(client, make_user, concert):
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_queueentry"))
    client.force_login(viewer)
    assert client.get(live_url(concert)).status_code == 200
    assert client.post(live_url(concert), {"action": "pause"}).status_code == 403
    assert not selectors.queue_overview(concert_id=concert.pk).paused


def test_fans_cannot_see_the_live_queue(client, user, concert):
    client.force_login(user)
    assert client.get(live_url(concert)).status_code == 302  # to the admin login


def test_pause_resume_and_cap_are_audited_on_the_concert(client, staff_user, concert):
    from config.audit import audit_entries

    client.force_login(staff_user)
    client.post(live_url(concert), {"action": "pause"})
    client.post(live_url(concert), {"action": "resume"})
    client.post(live_url(concert), {"action": "cap", "cap": "7"})
    client.post(live_url(concert), {"action": "cap", "cap": "-1"})  # refused: not audited
    client.post(live_url(concert), {"action": "cap", "cap": ""})
    assert [(e.user, e.change_message) for e in reversed(audit_entries(concert))] == [
        (staff_user, "Waiting room admission paused."),
        (staff_user, "Waiting room admission resumed."),
        (staff_user, "Waiting room active cap set to 7."),
        (staff_user, "Waiting room active cap set to the default."),
    ]
