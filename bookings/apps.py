from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self) -> None:
        from bookings import services
        from outbox.registry import outbox_handler_register

        outbox_handler_register(
            services.CONFIRMATION_EMAIL, services.booking_email_deliver_confirmation
        )
        outbox_handler_register(services.REFUND_EMAIL, services.booking_email_deliver_refund)
