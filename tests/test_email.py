"""Email goes out through Celery after commit, with any Django backend (here: files)."""

import pytest

from accounts.emails import email_send


@pytest.mark.django_db
def test_templated_email_is_written_by_the_file_backend(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_send(
            to="fan@example.com",
            template="accounts/email/otp",
            context={"otp": "123456", "minutes": 5, "first_name": "Fran"},
        )

    assert len(callbacks) == 1  # nothing is sent before the transaction commits
    [written] = list(tmp_path.iterdir())
    message = written.read_text()
    assert "To: fan@example.com" in message
    assert "123456" in message
    assert "text/html" in message
