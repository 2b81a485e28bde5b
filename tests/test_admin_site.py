"""The admin as box-office staff see it: branded, and only what they use."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from concerts.permissions import BOX_OFFICE_STAFF_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def box_office_client(client, make_user):
    member = make_user(email="door@example.com", is_staff=True)
    member.groups.add(Group.objects.get(name=BOX_OFFICE_STAFF_GROUP))
    client.force_login(member)
    return client


def test_the_index_is_branded_and_shows_box_office_staff_their_apps(box_office_client):
    html = box_office_client.get(reverse("admin:index")).content.decode()
    assert "<title>Box office | boxoffice staff</title>" in html
    assert "boxoffice staff" in html
    for app in ("Concerts", "Bookings", "Queueing"):
        assert app in html
    for hidden in ("periodic tasks", "blacklisted tokens", "outstanding tokens", "crontabs"):
        assert hidden not in html.lower()


def test_box_office_staff_cannot_open_the_plumbing_even_with_its_permissions(
    box_office_client, make_user
):
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=BOX_OFFICE_STAFF_GROUP)
    member = group.user_set.get()
    member.user_permissions.add(*Permission.objects.filter(codename="view_periodictask"))
    url = reverse("admin:django_celery_beat_periodictask_changelist")
    assert box_office_client.get(url).status_code == 403


def test_superusers_still_see_the_plumbing(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "periodic tasks" in html.lower()
    assert "outstanding tokens" in html.lower()
    assert (
        admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code
        == 200
    )
