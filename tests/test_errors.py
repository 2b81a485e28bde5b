import pytest


def test_unknown_api_path_answers_json_404(client):
    response = client.patch("/api/v1/booking/abc/confirm", data={}, content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_unknown_page_answers_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_api_server_error_is_json(rf):
    from config.api import server_error

    response = server_error(rf.get("/api/v1/queue/status"))
    assert response.status_code == 500
    assert b'"code": "server_error"' in response.content


# --- the one map from domain error codes to HTTP statuses (config.api) -------------------
def _all_domain_errors() -> list[type]:
    import accounts.errors
    import bookings.errors
    import concerts.errors
    import payments.errors
    import queueing.errors
    import waitlist.errors
    from config.errors import DomainError

    modules = [
        accounts.errors,
        bookings.errors,
        concerts.errors,
        payments.errors,
        queueing.errors,
        waitlist.errors,
    ]
    found, pending = [], [DomainError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__ in {m.__name__ for m in modules}:
                found.append(subclass)
    return found


# The contract's error codes and statuses (/work/shared/API-CONTRACT.md), plus the codes
# the contract leaves to DRF convention.
CONTRACT_STATUS = {
    "invalid": 400,
    "not_found": 404,
    "otp_invalid": 400,
    "otp_expired": 400,
    "otp_locked": 429,
    "invalid_credentials": 401,
    "token_not_valid": 401,
    "locked_out": 429,
    "invalid_token": 400,
    "password_incorrect": 400,
    "email_taken": 409,
    "sale_not_open": 409,
    "sold_out": 409,
    "queue_slot_required": 403,
    "insufficient_seats": 409,
    "pending_booking_exists": 409,
    "payment_not_completed": 402,
    "booking_expired": 409,
    "already_checked_in": 409,
    "ticket_void": 409,
    "wrong_concert": 409,
    "outside_door_window": 409,
    "not_checked_in": 409,
    "unknown_ticket": 404,
    "booking_not_pending": 409,
    "bad_signature": 400,
    "card_declined": 402,
    # beyond the contract's tables
    "ticket_limit_reached": 409,
    "booking_cancelled": 409,
    "booking_not_confirmed": 409,
    "payment_not_refundable": 409,
    "payment_provider_error": 502,
    "category_shrink_refused": 409,
    "invalid_cap": 400,
    "queue_rebuilding": 503,
    "seats_available": 409,
    "waitlist_entry_exists": 409,
    "offer_not_open": 409,
    # the proof of work at join (docs/challenge.md)
    "challenge_required": 403,
    "challenge_invalid": 400,
    "challenge_expired": 409,
    "challenge_used": 409,
    "invalid_challenge_difficulty": 400,
}


def test_every_domain_error_code_has_its_contract_status():
    from config.api import STATUS_BY_CODE

    classes = _all_domain_errors()
    assert len(classes) >= 25
    for error_class in classes:
        assert error_class.code in STATUS_BY_CODE, error_class
        assert STATUS_BY_CODE[error_class.code] == CONTRACT_STATUS[error_class.code], error_class
    assert {c.code for c in classes} == set(CONTRACT_STATUS)


def test_no_domain_error_class_is_defined_twice():
    names = [c.__name__ for c in _all_domain_errors()]
    assert len(names) == len(set(names))


def test_domain_errors_know_nothing_of_http():
    from pathlib import Path

    import config.errors

    source = Path(config.errors.__file__).read_text()
    assert "rest_framework" not in source
    assert "django.http" not in source
    for error_class in _all_domain_errors():
        assert not hasattr(error_class, "status_code"), error_class


@pytest.mark.parametrize(("code", "status"), sorted(CONTRACT_STATUS.items()))
def test_the_edge_renders_each_code_with_its_status_and_the_contract_body(code, status):
    from config.api import exception_handler
    from config.errors import DomainError

    error = type("Refusal", (DomainError,), {"code": code})("Said no.", held=2)
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response.data == {"detail": "Said no.", "code": code, "held": 2}
    assert "Retry-After" not in response


def test_the_edge_sends_retry_after_from_the_error_not_in_the_body():
    from accounts.errors import OtpLocked
    from config.api import exception_handler

    response = exception_handler(OtpLocked(retry_after=42), {})
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.data == {"detail": OtpLocked.default_message, "code": "otp_locked"}


def test_an_html_view_shows_the_error_message_or_its_own_wording_for_the_code():
    from config.views import message_for_error
    from payments.errors import CardDeclined, PaymentNotCompleted

    assert message_for_error(CardDeclined()) == CardDeclined.default_message
    overrides = {PaymentNotCompleted.code: "Not yet."}
    assert message_for_error(PaymentNotCompleted(), overrides) == "Not yet."
    assert message_for_error(CardDeclined("Insufficient funds."), overrides) == (
        "Insufficient funds."
    )
