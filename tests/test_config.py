"""Configuration: secrets policy, instance folder, environment, and no tables made at start-up."""
import pytest

from microblog import create_app
from microblog.config import ConfigurationError, load_environment
from microblog.data.db import database


@pytest.mark.parametrize("secret", [None, "", "too-short"])
def test_production_refuses_missing_or_short_secrets(tmp_path, secret):
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set to at least 32 bytes"):
        create_app({"MICROBLOG_ENV": "production", "SECRET_KEY": secret,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_production_refuses_a_short_jwt_secret(tmp_path):
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        create_app({"MICROBLOG_ENV": "production", "SECRET_KEY": "s" * 32,
                    "JWT_SECRET_KEY": "short", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


@pytest.mark.parametrize("environment", ["production", "testing"])
def test_debug_mode_is_refused_outside_development(tmp_path, monkeypatch, environment):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="Debug mode is refused"):
        create_app({"MICROBLOG_ENV": environment, "SECRET_KEY": "s" * 40,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    with pytest.raises(ConfigurationError, match="Debug mode is refused"):
        create_app({"MICROBLOG_ENV": environment, "SECRET_KEY": "s" * 40, "DEBUG": True,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_development_generates_a_secret_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda _app: str(tmp_path / "instance"))
    first = create_app({"MICROBLOG_ENV": "development", "DATABASE_URL": "sqlite:///:memory:"})
    second = create_app({"MICROBLOG_ENV": "development", "DATABASE_URL": "sqlite:///:memory:"})
    secret_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == secret_file.read_text()
    assert first.config["JWT_SECRET_KEY"] == first.config["SECRET_KEY"]
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"


def test_environment_overrides_and_converts():
    config = {}
    load_environment(config, {"DATABASE_URL": "sqlite:///x", "MAX_POST_LENGTH": "100",
                              "JWT_ACCESS_TOKEN_EXPIRES": "60", "UNRELATED": "1"})
    assert config["DATABASE_URL"] == "sqlite:///x" and config["MAX_POST_LENGTH"] == 100
    assert config["JWT_ACCESS_TOKEN_EXPIRES"] == 60
    assert "UNRELATED" not in config
    with pytest.raises(ConfigurationError, match="MAX_POST_LENGTH"):
        load_environment({}, {"MAX_POST_LENGTH": "lots"})


def test_lifetimes_in_seconds_from_instance_config_work(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'i' * 40\nJWT_ACCESS_TOKEN_EXPIRES = 900\n")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda _app: str(instance))
    monkeypatch.delenv("JWT_ACCESS_TOKEN_EXPIRES", raising=False)
    app = create_app()
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 900
    (instance / "config.py").write_text("SECRET_KEY = 'i' * 40\nJWT_ACCESS_TOKEN_EXPIRES = 'soon'\n")
    with pytest.raises(ConfigurationError, match="JWT_ACCESS_TOKEN_EXPIRES"):
        create_app()


def test_instance_config_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'i' * 40\nMAX_POST_LENGTH = 10\nCACHE_MAX_AGE = 7\n")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda _app: str(instance))
    monkeypatch.setenv("MICROBLOG_ENV", "production")
    monkeypatch.setenv("CACHE_MAX_AGE", "9")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["MAX_POST_LENGTH"] == 10
    assert app.config["CACHE_MAX_AGE"] == 9
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance}/microblog.sqlite3"


def test_create_app_creates_no_tables(make_app):
    app = make_app()
    with app.app_context():
        assert database.get_tables() == []


@pytest.mark.parametrize("name, value", [("DB_POOL_SIZE", 0), ("DB_POOL_TIMEOUT", -1),
                                         ("DB_POOL_IDLE_TIMEOUT", "soon"), ("DB_POOL_SIZE", True)])
def test_pool_settings_must_be_positive_numbers(tmp_path, name, value):
    with pytest.raises(ConfigurationError, match=f"{name} must be a positive number"):
        create_app({"MICROBLOG_ENV": "production", "SECRET_KEY": "s" * 40, name: value,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


@pytest.mark.parametrize("settings, message", [
    ({"DELIVERY_THREADS": 0}, "DELIVERY_THREADS must be a positive number"),
    ({"DELIVERY_HOST_CONCURRENCY": "two"}, "DELIVERY_HOST_CONCURRENCY must be a positive number"),
    ({"DELIVERY_RETRY_BASE": 0}, "DELIVERY_RETRY_BASE must be a positive number of seconds"),
    ({"DELIVERY_LEASE": 10, "DELIVERY_TIMEOUT": 10}, "DELIVERY_LEASE must be longer than DELIVERY_TIMEOUT"),
    ({"WEBSUB_HUB": "hub.example"}, "WEBSUB_HUB must be an http"),
    ({"WEBSUB_HUB": "ftp://hub.example/"}, "WEBSUB_HUB must be an http"),
    ({"PUBLIC_BASE_URL": "blog.example"}, "PUBLIC_BASE_URL must be an http"),
])
def test_outbox_settings_are_checked(tmp_path, settings, message):
    with pytest.raises(ConfigurationError, match=message):
        create_app({"MICROBLOG_ENV": "production", "SECRET_KEY": "s" * 40, **settings,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
