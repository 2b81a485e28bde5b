from celery import shared_task

from accounts.emails import build_email


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def send_templated_email(*, to: str, template: str, context: dict) -> None:
    """Render and send one email; a mail server hiccup (OSError) is retried 5 times."""
    build_email(to=to, template=template, context=context).send()
