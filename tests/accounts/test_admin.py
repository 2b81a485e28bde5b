import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def box_office_staff(make_user):
    """Staff without superuser rights, allowed to view and change users (as issue 4's group)."""
    staff = make_user(email="desk@example.com", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "change_user", "add_user"])
    )
    return staff


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_superuser_can_search_and_edit_credentials(client, staff_user, user):
    client.force_login(staff_user)

    listing = client.get(reverse("admin:accounts_user_changelist"), {"q": "Fran"})
    page = client.get(change_url(user)).content.decode()

    assert "fan@example.com" in listing.content.decode()
    assert 'name="is_superuser"' in page
    assert 'name="groups"' in page
    assert client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 200


def test_superuser_can_add_a_user(client, staff_user):
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "zebra-lantern-42",
            "password2": "zebra-lantern-42",
        },
    )

    assert response.status_code == 302
    from accounts.models import User

    assert User.objects.get(email="added@example.com").check_password("zebra-lantern-42")


def test_staff_sees_no_credentials_or_permission_fields(client, box_office_staff, user):
    client.force_login(box_office_staff)

    page = client.get(change_url(user)).content.decode()

    assert 'name="first_name"' in page
    for field in ("email", "password", "is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    assert "argon2" not in page


def test_staff_cannot_grant_themselves_superuser(client, box_office_staff):
    client.force_login(box_office_staff)

    client.post(
        change_url(box_office_staff),
        {
            "first_name": "Desk",
            "last_name": "",
            "phone": "",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )

    box_office_staff.refresh_from_db()
    assert box_office_staff.first_name == "Desk"
    assert not box_office_staff.is_superuser


def test_staff_cannot_change_passwords_or_add_users(client, box_office_staff, user):
    client.force_login(box_office_staff)

    assert client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403


def test_admin_stores_phones_in_e164(client, staff_user, user):
    client.force_login(staff_user)
    page = client.get(change_url(user))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields
        and value is not None
        and name not in {"groups", "user_permissions", "password"}
    }
    data.update(
        {"phone": "+44 20 7946 0958", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"}
    )

    response = client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone == "+442079460958"
