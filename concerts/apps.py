from django.apps import AppConfig


class ConcertsConfig(AppConfig):
    name = "concerts"
