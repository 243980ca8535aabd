"""Configuration from the environment: safe development defaults, and no production start without secrets."""
from __future__ import annotations

import subprocess
import sys

import pytest

from survey_app.config import ConfigurationError, settings_from_env


def test_development_defaults_live_under_var(tmp_path):
    settings = settings_from_env({"LLAIS_VAR_DIR": str(tmp_path)})
    assert settings["SURVEY_DATABASE"] == str(tmp_path / "responses.db")
    assert len(settings["SECRET_KEY"]) >= 32
    # the generated key is kept, so a restart does not end everyone's session
    assert settings_from_env({"LLAIS_VAR_DIR": str(tmp_path)})["SECRET_KEY"] == settings["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FINGERPRINT_SECRET", "PUBLIC_BASE_URL"])
def test_production_refuses_to_start_without_a_secret(tmp_path, missing):
    environ = {"LLAIS_ENV": "production", "LLAIS_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 40,
               "FINGERPRINT_SECRET": "f" * 40, "PUBLIC_BASE_URL": "https://llais.example.org"}
    del environ[missing]
    with pytest.raises(ConfigurationError, match=f"{missing} is not set"):
        settings_from_env(environ)
    assert not (tmp_path / missing.lower()).exists()  # no silent fallback to a generated key


def test_production_start_error_is_clear_on_the_command_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LLAIS_ENV": "production", "LLAIS_VAR_DIR": str(tmp_path),
           "SURVEY_DATABASE": str(tmp_path / "r.db")}
    result = subprocess.run([sys.executable, "-c", "from survey_app import create_app; create_app()"],
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("value", ["llais.example.org", "ftp://llais.example.org", "https://", "https://x.org/?a=1"])
def test_a_public_address_that_is_not_a_web_address_is_refused(tmp_path, value):
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL must be an http"):
        settings_from_env({"LLAIS_VAR_DIR": str(tmp_path), "PUBLIC_BASE_URL": value})


def test_settings_come_from_the_environment(tmp_path):
    settings = settings_from_env({"LLAIS_VAR_DIR": str(tmp_path), "SURVEY_DATABASE": "/data/r.db",
                                  "PUBLIC_BASE_URL": "https://llais.example/", "SECRET_KEY": "s" * 40})
    assert settings["SURVEY_DATABASE"] == "/data/r.db"
    assert settings["PUBLIC_BASE_URL"] == "https://llais.example"
    assert settings["SECRET_KEY"] == "s" * 40
