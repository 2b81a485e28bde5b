"""The checkout page: owner only, summary and countdown, fake card form or Stripe's element."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from payments.models import Payment
from tests.factories import BookingFactory

from .conftest import requires_booking_confirm, stub_intent_create, stub_intent_retrieve

pytestmark = pytest.mark.django_db


def _detail_url_exists() -> bool:
    try:
        reverse("bookings:detail", kwargs={"reference": "BO-X"})
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def fan_client(client, user):
    client.force_login(user)
    return client


def _url(booking, name="checkout"):
    return reverse(f"checkout:{name}", kwargs={"booking_id": booking.pk})


def test_owner_sees_summary_countdown_and_test_cards(fan_client, booking):
    response = fan_client.get(_url(booking))

    assert response.status_code == 200
    html = response.content.decode()
    assert booking.concert.name in html
    assert booking.category.name in html
    assert "$98.00" in html  # one money formatter (Babel)
    assert "UTC" in html  # the venue time names its zone (the factory concert plays in UTC)
    assert 'id="hold-countdown"' in html
    assert 'role="timer"' in html
    assert "4242 4242 4242 4242" in html
    assert "4000 0000 0000 0002" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<script>" not in html  # CSP: no inline scripts
    assert "js.stripe.com" not in html
    assert Payment.objects.filter(booking=booking).count() == 1


def test_someone_elses_booking_is_404(client, make_user, booking):
    client.force_login(make_user())
    assert client.get(_url(booking)).status_code == 404
    assert (
        client.post(_url(booking, "fake-pay"), {"card_number": "4242424242424242"}).status_code
        == 404
    )
    assert not Payment.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, booking):
    response = client.get(_url(booking))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_declined_card_is_shown_and_the_fan_can_retry(fan_client, booking):
    response = fan_client.post(
        _url(booking, "fake-pay"), {"card_number": "4000 0000 0000 0002"}, follow=True
    )

    # Post/redirect/get: the decline is shown by the checkout page's GET.
    assert response.redirect_chain == [(_url(booking), 302)]
    html = response.content.decode()
    assert 'class="alert alert-error" role="alert"' in html
    assert "Your card was declined." in html
    assert 'id="fake-pay-form"' in html  # the form is still there for another card


def test_reloading_the_declined_page_does_not_post_the_card_again(fan_client, booking):
    declined = fan_client.post(_url(booking, "fake-pay"), {"card_number": "4000000000000002"})
    # The browser lands on a GET, so its reload repeats the GET, not the card's POST.
    assert declined.status_code == 302
    assert declined["Location"] == _url(booking)

    shown = fan_client.get(declined["Location"])
    assert "Your card was declined." in shown.content.decode()
    reloaded = fan_client.get(declined["Location"])  # the message is shown once
    assert "Your card was declined." not in reloaded.content.decode()
    assert Payment.objects.get(booking=booking).status != Payment.Status.SUCCEEDED


def test_insufficient_funds_says_so(fan_client, booking):
    response = fan_client.post(
        _url(booking, "fake-pay"), {"card_number": "4000000000009995"}, follow=True
    )
    assert "insufficient funds" in response.content.decode()


@requires_booking_confirm
@pytest.mark.skipif(not _detail_url_exists(), reason="bookings:detail not built yet")
def test_the_success_card_leads_to_the_booking_page(fan_client, booking):
    response = fan_client.post(_url(booking, "fake-pay"), {"card_number": "4242424242424242"})

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "bookings:detail", kwargs={"reference": booking.reference}
    )
    booking.refresh_from_db()
    assert booking.status == "confirmed"


@pytest.mark.skipif(not _detail_url_exists(), reason="bookings:detail not built yet")
def test_a_confirmed_booking_redirects_to_its_page(fan_client, user):
    booking = BookingFactory(user=user, confirmed=True)
    response = fan_client.get(_url(booking))
    assert response.status_code == 302


def test_an_expired_hold_says_so_and_links_back_to_the_concert(fan_client, user):
    booking = BookingFactory(user=user, overdue=True)

    response = fan_client.get(_url(booking))

    html = response.content.decode()
    assert "Your hold has expired" in html
    assert reverse("concerts:detail", kwargs={"slug": booking.concert.slug}) in html
    assert 'id="fake-pay-form"' not in html
    assert not Payment.objects.exists()


def test_paying_an_expired_hold_is_refused_without_charging(fan_client, user):
    booking = BookingFactory(user=user, overdue=True)
    response = fan_client.post(_url(booking, "fake-pay"), {"card_number": "4242424242424242"})
    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_with_stripe_the_page_mounts_the_payment_element(
    fan_client, booking, stripe_settings, stripe_http
):
    stub_intent_create(stripe_http, booking=booking)

    response = fan_client.get(_url(booking))

    html = response.content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert 'data-client-secret="pi_test_123_secret_abc"' in html
    assert 'data-publishable-key="pk_test_boxoffice"' in html
    assert _url(booking, "return") in html
    assert 'id="fake-pay-form"' not in html


def test_with_stripe_the_fake_form_route_is_404(fan_client, booking, stripe_settings):
    response = fan_client.post(_url(booking, "fake-pay"), {"card_number": "4242424242424242"})
    assert response.status_code == 404


def test_stripe_return_with_an_unpaid_intent_shows_the_error(
    fan_client, booking, stripe_settings, stripe_http
):
    stub_intent_create(stripe_http, booking=booking)
    fan_client.get(_url(booking))
    stub_intent_retrieve(stripe_http, booking=booking, status="requires_payment_method")

    response = fan_client.get(_url(booking, "return") + "?payment_intent=pi_test_123")

    assert response.status_code == 402
    assert 'role="alert"' in response.content.decode()


@requires_booking_confirm
@pytest.mark.skipif(not _detail_url_exists(), reason="bookings:detail not built yet")
def test_stripe_return_after_payment_confirms_the_booking(
    fan_client, booking, stripe_settings, stripe_http
):
    stub_intent_create(stripe_http, booking=booking)
    fan_client.get(_url(booking))
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")

    response = fan_client.get(_url(booking, "return") + "?payment_intent=pi_test_123")

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "confirmed"
