"""Why payments say no: stable codes; config.api maps them to statuses at the API edge."""

from config.errors import DomainError, NotFound


class PaymentNotCompleted(DomainError):
    code = "payment_not_completed"
    default_message = "The payment for this booking has not been completed."


class CardDeclined(DomainError):
    code = "card_declined"
    default_message = "Your card was declined."


class BookingNotPending(DomainError):
    code = "booking_not_pending"
    default_message = "This booking is no longer waiting for payment."


class PaymentNotRefundable(DomainError):
    code = "payment_not_refundable"
    default_message = "This booking has no succeeded payment to refund."


class BadSignature(DomainError):
    code = "bad_signature"
    default_message = "The webhook signature could not be verified."


class PaymentProviderError(DomainError):
    """The provider could not be reached or refused the request for a non-card reason."""

    code = "payment_provider_error"
    default_message = "The payment provider could not process the request. Please try again."


class FakeProviderDisabled(NotFound):
    default_message = "The fake payment provider is not enabled."
