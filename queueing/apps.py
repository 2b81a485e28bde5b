from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"

    def ready(self) -> None:
        from outbox.registry import outbox_handler_register
        from queueing import schema  # noqa: F401 - registers the OpenAPI auth extension
        from queueing.services import SLOT_RELEASE, queue_slot_release_deliver

        outbox_handler_register(SLOT_RELEASE, queue_slot_release_deliver)
