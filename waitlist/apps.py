from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waiting list"

    def ready(self) -> None:
        from outbox.registry import outbox_handler_register
        from waitlist import services

        outbox_handler_register(services.SEATS_RETURNED, services.waitlist_on_seats_returned)
        outbox_handler_register(services.OFFER_EMAIL, services.waitlist_email_deliver_offer)
        outbox_handler_register(services.LAPSED_EMAIL, services.waitlist_email_deliver_lapsed)
