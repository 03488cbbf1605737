"""The WSGI entry point loads the project and answers a plain HTTP request."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

# A real WSGI request opens and closes database connections at its start and end (request_started and
# request_finished), which a test wrapped in one transaction cannot allow.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_wsgi_application_serves_healthz():
    from spoonful.wsgi import application

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "HTTP_HOST": "localhost", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = status
        started["headers"] = dict(headers)

    response = application(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()

    assert started["status"] == "200 OK", body
    assert started["headers"]["Content-Type"] == "application/json"
    health = json.loads(body)
    assert (health["status"], health["checks"]) == ("ok", {"database": "ok", "channel_layer": "ok"})
