import pytest


@pytest.mark.django_db
def test_healthy_when_the_database_and_broker_answer(client, settings):
    import os

    settings.CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_unhealthy_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "problems": ["broker: OperationalError"]}


@pytest.mark.django_db
def test_unhealthy_when_the_database_does_not_answer(client, monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # Stand in for a database that went away: its cursor cannot be opened.
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["database: OperationalError"]
