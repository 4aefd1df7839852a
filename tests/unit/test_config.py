"""Settings come from the environment, with clear errors for what is missing or wrong."""

from __future__ import annotations

from datetime import time

import pytest

from config import (
    DEFAULT_GRAPH_API_URL,
    DEFAULT_SQLITE_URL,
    DEVELOPMENT_DEFAULTS,
    ConfigError,
    load_config,
    parse_business_hours,
)

PRODUCTION = {
    "APP_ENV": "production",
    "WHATSAPP_APP_SECRET": "0f3c9a7be21d4c58a6e0b7d19f2c4e81",  # Meta's shape: 32 hex characters
    "WHATSAPP_VERIFY_TOKEN": "verify-me-0c1d2e3f",
    "FLASK_SECRET_KEY": "flask-key-6Jm2x9QvTq3LrP8sWc1nYb5uKd7hZf0a",
}


def test_defaults_need_no_credentials():
    config = load_config({})
    assert config.database_url == DEFAULT_SQLITE_URL
    assert "instance" in config.database_url
    assert config.whatsapp_api_token is None
    assert config.whatsapp_api_base_url == DEFAULT_GRAPH_API_URL
    assert config.timezone == "Asia/Tehran"
    assert config.app_env == "development"
    assert set(config.used_development_defaults) == {"WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "FLASK_SECRET_KEY",
                                                     "ADMIN_API_TOKEN"}


def test_development_without_an_admin_token_gets_the_development_login_token():
    config = load_config({})
    assert config.admin_api_token == DEVELOPMENT_DEFAULTS["ADMIN_API_TOKEN"]
    chosen = load_config({"ADMIN_API_TOKEN": "my-own-token"})
    assert chosen.admin_api_token == "my-own-token"
    assert "ADMIN_API_TOKEN" not in chosen.used_development_defaults


def test_production_without_an_admin_token_keeps_the_api_and_dashboard_switched_off():
    config = load_config(PRODUCTION)
    assert config.admin_api_token is None
    assert "ADMIN_API_TOKEN" not in config.used_development_defaults


def test_production_with_everything_loads():
    config = load_config(PRODUCTION)
    assert config.is_production
    assert config.whatsapp_app_secret == PRODUCTION["WHATSAPP_APP_SECRET"]
    assert config.used_development_defaults == ()


@pytest.mark.parametrize(("name", "weak", "minimum"), [
    ("ADMIN_API_TOKEN", "a", 32),
    ("ADMIN_API_TOKEN", "x" * 31, 32),
    ("FLASK_SECRET_KEY", "secret", 32),
    ("WHATSAPP_VERIFY_TOKEN", "verify", 16),
    ("WHATSAPP_APP_SECRET", "0f3c9a7be21d4c58", 32),
])
def test_production_refuses_a_weak_secret_in_one_line_naming_it(name, weak, minimum):
    with pytest.raises(ConfigError) as error:
        load_config({**PRODUCTION, name: weak})
    message = str(error.value)
    assert message.startswith(f"{name} is too short") and f"at least {minimum}" in message
    assert "\n" not in message and repr(weak) not in message  # one line, and the secret is not echoed


def test_a_weak_secret_from_a_file_is_refused_too(tmp_path):
    token_file = tmp_path / "admin_token"
    token_file.write_text("short\n")
    with pytest.raises(ConfigError, match="ADMIN_API_TOKEN is too short"):
        load_config({**PRODUCTION, "ADMIN_API_TOKEN_FILE": str(token_file)})


def test_secrets_at_the_minimum_length_are_accepted_in_production():
    config = load_config({**PRODUCTION, "ADMIN_API_TOKEN": "t" * 32, "FLASK_SECRET_KEY": "k" * 32,
                          "WHATSAPP_VERIFY_TOKEN": "v" * 16, "WHATSAPP_APP_SECRET": "a" * 32})
    assert config.admin_api_token == "t" * 32


def test_development_keeps_short_secrets_and_its_defaults():
    config = load_config({"ADMIN_API_TOKEN": "a", "FLASK_SECRET_KEY": "k"})
    assert config.admin_api_token == "a" and config.flask_secret_key == "k"


@pytest.mark.parametrize("missing", ["WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "FLASK_SECRET_KEY"])
def test_production_refuses_a_missing_secret_naming_it(missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        load_config(environ)
    assert missing in str(error.value)
    assert "\n" not in str(error.value)


def test_secret_from_file(tmp_path):
    secret_file = tmp_path / "app_secret"
    secret_file.write_text("0123456789abcdef0123456789abcdef\n")
    environ = {k: v for k, v in PRODUCTION.items() if k != "WHATSAPP_APP_SECRET"}
    config = load_config({**environ, "WHATSAPP_APP_SECRET_FILE": str(secret_file)})
    assert config.whatsapp_app_secret == "0123456789abcdef0123456789abcdef"


def test_variable_and_file_twin_together_is_an_error(tmp_path):
    secret_file = tmp_path / "token"
    secret_file.write_text("x")
    with pytest.raises(ConfigError, match="WHATSAPP_API_TOKEN and WHATSAPP_API_TOKEN_FILE"):
        load_config({"WHATSAPP_API_TOKEN": "y", "WHATSAPP_API_TOKEN_FILE": str(secret_file)})


def test_unreadable_secret_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="ADMIN_API_TOKEN_FILE"):
        load_config({"ADMIN_API_TOKEN_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"WHATSAPP_MAX_MPS": "fast"}, "WHATSAPP_MAX_MPS"),
        ({"WHATSAPP_MAX_MPS": "5000"}, "WHATSAPP_MAX_MPS"),
        ({"WHATSAPP_API_BASE_URL": "ftp://x"}, "WHATSAPP_API_BASE_URL"),
        ({"BUSINESS_HOURS": "someday 9-5"}, "BUSINESS_HOURS"),
        ({"RESEND_UNCONFIRMED": "maybe"}, "RESEND_UNCONFIRMED"),
        ({"REPLY_SENDER": "celery"}, "REPLY_SENDER"),
        ({"FAST_STATUS_WEBHOOKS": "sometimes"}, "FAST_STATUS_WEBHOOKS"),
    ],
)
def test_invalid_values_are_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_config(environ)


def test_business_hours_parse_ranges_and_wrap_the_week():
    hours = parse_business_hours("sat-wed 09:00-18:00; thu 09:00-13:00")
    saturday, wednesday, thursday, friday = 5, 2, 3, 4
    assert hours.is_open(saturday, time(9, 0))
    assert hours.is_open(wednesday, time(17, 59))
    assert not hours.is_open(wednesday, time(18, 0))
    assert hours.is_open(thursday, time(12, 0)) and not hours.is_open(thursday, time(14, 0))
    assert not hours.is_open(friday, time(12, 0))


def test_base_url_trailing_slash_is_trimmed():
    assert load_config({"WHATSAPP_API_BASE_URL": "http://127.0.0.1:8089/"}).whatsapp_api_base_url == "http://127.0.0.1:8089"


def test_metrics_allowed_ips_are_validated():
    assert load_config({"METRICS_ALLOWED_IPS": "10.0.0.0/8, ::1"}).metrics_allowed_ips == "10.0.0.0/8, ::1"
    with pytest.raises(ConfigError, match="METRICS_ALLOWED_IPS"):
        load_config({"METRICS_ALLOWED_IPS": "10.0.0.0/8,nonsense"})


def test_trusted_proxy_hops_must_be_a_whole_number():
    assert load_config({"TRUSTED_PROXY_HOPS": "1"}).trusted_proxy_hops == 1
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        load_config({"TRUSTED_PROXY_HOPS": "one"})


def test_webhooks_to_private_addresses_are_refused_in_production_unless_allowed():
    assert load_config(PRODUCTION).webhook_allow_private_urls is False
    assert load_config(PRODUCTION | {"WEBHOOK_ALLOW_PRIVATE_URLS": "true"}).webhook_allow_private_urls is True
    assert load_config({}).webhook_allow_private_urls is True  # development: a receiver on localhost works
