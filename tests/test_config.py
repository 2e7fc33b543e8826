"""Settings: from the environment, and every one documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ROOT, Settings


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        Settings.env_name(name)
        for name in Settings.model_fields
        if f"| `{Settings.env_name(name)}` |" not in readme
    ]
    assert missing == []


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("INTAKE_REFERENCE_PREFIX", "RBT")
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "d"))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "1:abc"
    assert "1:abc" not in repr(settings)  # secrets never print
    assert settings.reference_prefix == "RBT"
    assert settings.database().endswith(str(tmp_path / "d" / "intake.db"))


def test_a_bad_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_REFERENCE_PREFIX", "avr-1")
    with pytest.raises(ValueError, match="reference_prefix"):
        Settings(_env_file=None)  # type: ignore[call-arg]
