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
