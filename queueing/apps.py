from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"

    def ready(self) -> None:
        from queueing import schema  # noqa: F401 - registers the OpenAPI auth extension
