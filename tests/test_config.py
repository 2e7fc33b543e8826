"""Settings: from the environment, and every one documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ROOT, Settings, SettingsError, load_settings
from bot.i18n import Catalogs


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


def test_the_languages_offered_are_read_in_order_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_LANGUAGES", " fr, en ,fr,")
    assert Settings(_env_file=None).offered_languages() == ("fr", "en")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("languages", "error"),
    [
        ("fr,de", "INTAKE_LANGUAGES offers 'de' but .* does not exist"),
        (" , ", "names no language"),
        ("fr,xx", "INTAKE_LANGUAGES offers 'xx', which Babel does not know"),
        ("fr,pt-BR", "INTAKE_LANGUAGES offers 'pt-BR', which Babel does not know"),
    ],
)
def test_a_language_without_a_catalog_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, languages: str, error: str
) -> None:
    monkeypatch.setenv("INTAKE_LANGUAGES", languages)
    with pytest.raises(ValueError, match=error):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_catalogs_load_only_the_languages_offered_in_their_order() -> None:
    assert Catalogs(ROOT / "locales", languages=("fr", "en")).languages == ("fr", "en")
    assert Catalogs(ROOT / "locales", languages=("en", "fr")).languages == ("en", "fr")
    assert Catalogs(ROOT / "locales").languages == ("en", "fr")  # every catalog, sorted
    only_french = Catalogs(ROOT / "locales", "de", languages=("fr",))
    assert only_french.languages == ("fr",) and only_french.default == "fr"
    assert only_french.negotiate("en-GB") == "fr"
    assert Catalogs(ROOT / "locales", languages=("en",)).translator("fr").language == "en"


def test_nightly_backups_are_for_the_embedded_database_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INTAKE_BACKUP_DIR", str(tmp_path))
    assert Settings(_env_file=None).backup_dir == tmp_path  # type: ignore[call-arg]
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://intake@db/intake")
    with pytest.raises(ValueError, match="back up PostgreSQL with pg_dump"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_wrong_settings_are_named_one_a_line_without_their_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("INTAKE_PORT", "eighty")
    monkeypatch.setenv("INTAKE_LOG_LEVEL", "loud")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).splitlines() == [
        "Setting INTAKE_LOG_LEVEL: unknown logging level 'loud': give one of DEBUG, INFO, "
        "WARNING, ERROR.",
        "Setting INTAKE_PORT: input should be a valid integer, unable to parse string as an "
        "integer.",
    ]


def test_a_data_directory_that_cannot_be_made_is_said_plainly(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    settings = Settings(_env_file=None, data_dir=tmp_path / "file" / "data")  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match=r"Cannot create the data directory .*INTAKE_DATA_DIR"):
        settings.database()


def test_office_facts_for_the_person_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("INTAKE_OFFICE_HOURS", '{"en": "Mon-Fri", "fr": "lun.-ven."}')
    monkeypatch.setenv(
        "INTAKE_RETURN_CONTACTS", '{"sn": {"name": "OIM Dakar", "phone": "+221 33 000 00 00"}}'
    )
    monkeypatch.setenv("INTAKE_CONSENT_RECIPIENTS", '[{"who": "the consulate", "why": "papers"}]')
    settings = load_settings()
    assert settings.office_hours == {"en": "Mon-Fri", "fr": "lun.-ven."}
    assert settings.return_contacts["SN"].phone == "+221 33 000 00 00"  # code in capitals
    assert [(r.who, r.why) for r in settings.consent_recipients] == [("the consulate", "papers")]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "INTAKE_RETURN_CONTACTS",
            '{"Senegal": {"name": "OIM Dakar", "phone": "+221 33 000 00 00"}}',
            "Setting INTAKE_RETURN_CONTACTS: 'Senegal' is not a two-letter country code",
        ),
        (
            "INTAKE_RETURN_CONTACTS",
            '{"SN": {"name": "OIM Dakar"}}',
            "Setting INTAKE_RETURN_CONTACTS: field required",
        ),
        ("INTAKE_CONSENT_RECIPIENTS", "[]", "Setting INTAKE_CONSENT_RECIPIENTS: list should"),
    ],
)
def test_wrong_office_facts_stop_the_start_with_the_settings_name(
    name: str, value: str, said: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith(said)
