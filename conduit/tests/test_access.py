"""One access line and the HTTP metrics per request (conduit/access.py), and the JSON log
format (conduit/logs.py)."""

import json
import logging
import logging.config

import pytest
from prometheus_client import REGISTRY

from conduit.auth import issue_token
from conduit.logs import logging_config

pytestmark = pytest.mark.django_db


def access_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "conduit.access"]


def requests_counted(method: str, route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "conduit_http_requests_total", {"method": method, "route": route, "status": status}
    )
    return value or 0.0


def test_a_request_writes_one_access_line_with_its_request_id_and_user(api_client, alice, caplog):
    token = issue_token(alice)
    caplog.set_level(logging.INFO, logger="conduit.access")
    response = api_client.get(
        "/api/user", HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_REQUEST_ID="req-access-1"
    )
    assert response.status_code == 200
    (record,) = access_records(caplog)
    assert record.request_id == "req-access-1"
    assert (record.method, record.path, record.status) == ("GET", "/api/user", 200)
    assert record.route == "api/user"
    assert record.user_id == alice.pk
    assert record.duration_ms >= 0
    # Never a token, a password or an email.
    line = json.dumps({key: str(value) for key, value in vars(record).items()})
    assert token not in line
    assert alice.email not in line


def test_the_metrics_count_by_route_template_not_by_raw_path(api_client, alice):
    before = requests_counted("GET", "api/profiles/<str:username>", "200")
    before_404 = requests_counted("GET", "api/profiles/<str:username>", "404")
    assert api_client.get("/api/profiles/alice").status_code == 200
    assert api_client.get("/api/profiles/nobody-by-this-name").status_code == 404
    assert requests_counted("GET", "api/profiles/<str:username>", "200") == before + 1
    assert requests_counted("GET", "api/profiles/<str:username>", "404") == before_404 + 1
    duration = REGISTRY.get_sample_value(
        "conduit_http_request_duration_seconds_count",
        {"method": "GET", "route": "api/profiles/<str:username>", "status": "200"},
    )
    assert duration >= 1


def test_invented_methods_and_unknown_paths_add_no_new_series(api_client):
    api_client.generic("BREW", "/api/coffee/1")
    api_client.generic("BREW", "/api/coffee/2")
    routes = {
        sample.labels["route"]
        for metric in REGISTRY.collect()
        if metric.name == "conduit_http_requests"
        for sample in metric.samples
        if sample.labels.get("method") == "other"
    }
    assert routes and not any("coffee" in route for route in routes)


def test_json_lines_are_one_object_each_with_the_request_id(capsys):
    config = logging_config(log_format="json", level="INFO")
    config["loggers"]["conduit.test.json"] = {"level": "INFO"}
    logging.config.dictConfig(config)
    try:
        from events.core.context import event_context

        with event_context(request_id="req-json-7"):
            logging.getLogger("conduit.test.json").info("hello %s", "there", extra={"a": 1})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("conduit.test.json").exception("failed")
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    first, second = (json.loads(line) for line in lines[-2:])
    assert first["message"] == "hello there"
    assert first["request_id"] == "req-json-7"
    assert first["a"] == 1
    assert first["level"] == "INFO"
    assert first["logger"] == "conduit.test.json"
    assert "time" in first
    assert second["level"] == "ERROR"
    assert "ValueError: boom" in second["exc_info"]


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
