"""Payment domain errors: the one DRF exception handler renders them as {"detail", "code"}."""

from rest_framework import status

from config.api import DomainError


class PaymentNotCompleted(DomainError):
    code = "payment_not_completed"
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "The payment for this booking has not been completed."


class CardDeclined(DomainError):
    code = "card_declined"
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "Your card was declined."


class BookingNotPending(DomainError):
    code = "booking_not_pending"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This booking is no longer waiting for payment."


class PaymentNotRefundable(DomainError):
    code = "payment_not_refundable"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This booking has no succeeded payment to refund."


class BadSignature(DomainError):
    code = "bad_signature"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The webhook signature could not be verified."


class PaymentProviderError(DomainError):
    """The provider could not be reached or refused the request for a non-card reason."""

    code = "payment_provider_error"
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The payment provider could not process the request. Please try again."


class FakeProviderDisabled(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "The fake payment provider is not enabled."
