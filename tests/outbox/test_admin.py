"""The outbox in the admin: read-only for staff, with "retry now"."""

import pytest
from django.urls import reverse

from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_staff_see_failed_messages_and_cannot_edit_them(admin_client):
    failed = OutboxMessage.objects.create(
        kind="bookings.confirmation_email",
        payload={"booking_id": 1},
        status=OutboxMessage.Status.FAILED,
        last_error="SMTPServerDisconnected: gone",
    )

    listing = admin_client.get(
        reverse("admin:outbox_outboxmessage_changelist"), {"status__exact": "failed"}
    )
    assert listing.status_code == 200
    assert "bookings.confirmation_email" in listing.content.decode()
    detail = admin_client.get(reverse("admin:outbox_outboxmessage_change", args=[failed.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:outbox_outboxmessage_add")).status_code == 403


def test_retry_now_delivers_a_failed_message(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    from bookings.models import Booking
    from tests.factories import BookingFactory

    booking = BookingFactory(confirmed=True)
    failed = OutboxMessage.objects.create(
        kind="bookings.refund_email",
        payload={"booking_id": booking.pk},
        status=OutboxMessage.Status.FAILED,
        attempts=30,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:outbox_outboxmessage_changelist"),
            {"action": "retry_now", "_selected_action": [failed.pk]},
            follow=True,
        )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.DELIVERED
    assert [message.to for message in mailoutbox] == [[booking.user.email]]
    assert Booking.objects.filter(pk=booking.pk).exists()
