"""Whatever is thrown at /subscribe/, the answer is never a 5xx."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from tests.factories import NewsletterFactory

URL = "/ar/subscribe/"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
content_types = st.sampled_from([
    "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
    "multipart/form-data", "text/plain", "application/xml", "", "application/json; charset=latin-1",
]) | st.text(max_size=40)

FUZZ = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def http(db, settings):
    settings.SIGNUP_RATE_LIMIT = "off"
    NewsletterFactory()
    return Client(raise_request_exception=False)


@FUZZ
@given(name=st.text(max_size=300), email=st.text(max_size=300), extra=st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=3))
def test_arbitrary_strings_in_form_fields(http, name, email, extra):
    response = http.post(URL, {**extra, "name": name, "email": email}, headers={"accept": "application/json"})
    assert response.status_code < 500, response.content
    assert response.status_code in (200, 400)


@FUZZ
@given(payload=json_values)
def test_arbitrary_json_shapes(http, payload):
    response = http.post(URL, data=json.dumps(payload), content_type="application/json")
    assert response.status_code < 500, response.content
    assert response.json()["ok"] in (True, False)


@FUZZ
@given(content_type=content_types, body=st.binary(max_size=2000))
def test_arbitrary_bodies_and_content_types(http, content_type, body):
    response = http.generic("POST", URL, data=body, content_type=content_type)
    assert response.status_code < 500, response.content
