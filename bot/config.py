"""Settings, from the environment and from a .env file."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
# The language the messages are written in needs no catalog (bot.i18n.SOURCE_LANGUAGE;
# the settings import nothing of the project).
_SOURCE_LANGUAGE = "en"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# A fact the operator writes: one text (translated when the catalog knows it, as the
# defaults below are), or one text per language, e.g. {"en": "Mon-Fri", "fr": "lun.-ven."}.
Localized = str | dict[str, str]


def N_(message: str) -> str:
    """Marks a default for translation (as bot.engine.flow.N_: the settings import nothing
    of the project)."""
    return message


class Recipient(BaseModel):
    """Who receives data besides the office's staff (a short name), and for what."""

    who: Localized
    why: Localized


class ReturnContact(BaseModel):
    """Who helps a returnee in one country of return, and how to reach them."""

    name: Localized
    phone: str
    hours: Localized = ""


# What the consent names by default: the recipients every assisted return needs.
DEFAULT_RECIPIENTS = (
    Recipient(
        who=N_("your consulate"),
        why=N_("your identity, to issue a travel document if you have no valid passport"),
    ),
    Recipient(
        who=N_("the authorities here"),
        why=N_("your identity and travel details, for the formalities of leaving the country"),
    ),
    Recipient(
        who=N_("our office or partner in your country"),
        why=N_("your contact details and plans, to welcome you and help you start again"),
    ),
)


class SettingsError(Exception):
    """A setting is wrong, or the folder it names cannot be used: the message says which,
    and what to do, for the operator (no value is quoted: some are secrets)."""


class Settings(BaseSettings):
    """Every setting has a documented environment variable (README, 'Configuration')."""

    model_config = SettingsConfigDict(
        env_prefix="INTAKE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN"),
        description="Bot token from @BotFather. Without it the bot runs offline only.",
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        validation_alias=AliasChoices("TELEGRAM_API_BASE_URL"),
        description="Bot API endpoint, for a self-hosted Bot API server.",
    )
    messages_per_second: float = Field(
        default=30,
        gt=0,
        description="Most messages per second this process sends (Telegram allows about 30 "
        "per bot); with several processes, share it.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL"),
        description="SQLAlchemy URL; default: a SQLite file in the data directory.",
    )
    data_dir: Path = Field(
        default=Path("data"), description="Where the embedded SQLite database lives."
    )
    reference_prefix: str = Field(
        default="AVR", pattern=r"^[A-Z]{2,8}$", description="Prefix of reference numbers."
    )
    default_language: str = Field(
        default="fr", description="Language when the Telegram app's is not one offered."
    )
    office_name: str = Field(
        default="IOM", description="The organisation named in the consent notice."
    )
    office_contact: str = Field(
        default="", description="How to reach the office without the bot (phone, address)."
    )
    office_address: str = Field(
        default="",
        description="The office's street address, in the consent notice and the confirmation.",
    )
    office_hours: Localized = Field(
        default="",
        description="The office's opening hours: a text, or JSON per language, e.g. "
        '{"en": "Mon-Fri 9:00-16:00", "fr": "lun.-ven. 9 h-16 h"}.',
    )
    consent_recipients: list[Recipient] = Field(
        default=list(DEFAULT_RECIPIENTS),
        min_length=1,
        description="Who receives data besides the staff, and why: a JSON list of "
        '{"who": ..., "why": ...}, each a text or JSON per language; named in the consent.',
    )
    return_contacts: dict[str, ReturnContact] = Field(
        default={},
        description="Contact in each country of return, for check-ins: JSON by country code, "
        '{"SN": {"name": ..., "phone": ..., "hours": ...}}; default: the office\'s own.',
    )
    conversations_dir: Path = Field(
        default=ROOT / "conversations", description="Folder of the conversation YAML files."
    )
    locales_dir: Path = Field(
        default=ROOT / "locales", description="Folder of the translation catalogs."
    )
    languages: str = Field(
        default="fr,en",
        description="Languages offered, comma-separated, in the order of their buttons; each "
        "a code Babel knows, and each but en with a catalog in the locales folder.",
    )
    log_level: str = Field(
        default="INFO",
        description="Logging level: DEBUG, INFO, WARNING or ERROR; `--log-level` overrides it.",
    )
    notify_statuses: str = Field(
        default=(
            "accepted,waitlisted,needs_info,rejected,doc_requested,doc_received,travel_booked"
        ),
        description="Statuses the person is told of by default, comma-separated.",
    )
    assign_new_cases: Literal["none", "round_robin"] = Field(
        default="none",
        description="Who gets a new request: none (it waits unassigned) or round_robin "
        "(each active caseworker in turn).",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL of /telegram/webhook: receive updates by webhook, not polling.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Telegram's secret token for the webhook; default: made once, kept on disk.",
    )
    retention_days: int = Field(
        default=365,
        ge=1,
        description="Days a closed, rejected or withdrawn case is kept before it is erased.",
    )
    abandoned_days: int = Field(
        default=30, ge=1, description="Days an unfinished intake is kept before it is erased."
    )
    office_time_zone: str = Field(
        default="Africa/Casablanca",
        description="The office's time zone: the daily retention job runs at 10:00 there, "
        "and appointments are booked and told in it.",
    )
    appointment_days: str = Field(
        default="1,2,3,4,5",
        pattern=r"^[1-7](,[1-7])*$",
        description="Days the office sees people by appointment, comma-separated ISO "
        "weekdays (1 Monday ... 7 Sunday).",
    )
    appointment_hours: str = Field(
        default="9,10,11,14,15",
        pattern=r"^\d{1,2}(,\d{1,2})*$",
        description="Hours at which appointments start, comma-separated, in the office's "
        "time zone; each hour is one slot.",
    )
    appointment_slot_limit: int = Field(
        default=3, ge=1, description="Most appointments booked in one slot (one hour)."
    )
    appointment_reminder_hour: int = Field(
        default=10,
        ge=8,
        le=20,
        description="Hour of the reminder the day before an appointment, in the office's "
        "time zone.",
    )
    backup_dir: Path | None = Field(
        default=None,
        description="Folder of the nightly backups of the SQLite database; none when unset.",
    )
    backup_keep: int = Field(
        default=7, ge=1, description="Nightly backups kept in the folder; older ones are deleted."
    )
    backup_hour: int = Field(
        default=3, ge=0, le=23, description="Hour of the nightly backup, in the office's time zone."
    )
    dispatch_seconds: int = Field(
        default=30, ge=1, description="How often the check-in dispatcher looks for due rows."
    )
    health_inbox_seconds: int = Field(
        default=120,
        ge=1,
        description="GET /healthz answers 503 when an update has waited this long to be handled.",
    )
    health_outbox_seconds: int = Field(
        default=900,
        ge=1,
        description="GET /healthz answers 503 when a message has waited this long to be sent.",
    )
    dispatch_lease_seconds: int = Field(
        default=300,
        ge=1,
        description="How long a dispatcher holds the check-ins it claimed; a dead one's "
        "are taken over after that.",
    )
    host: str = Field(default="127.0.0.1", description="Where the dashboard listens.")
    port: int = Field(default=8000, ge=0, le=65535, description="The dashboard's port.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs dashboard sessions; default: a random key kept in the data directory.",
    )
    secure_cookies: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (set it behind TLS)."
    )
    dashboard_url: str | None = Field(
        default=None,
        description="The dashboard's public address: duty notifications link to the case "
        "there; none: they give the reference only.",
    )
    duty_officer: str | None = Field(
        default=None,
        description="Username of the account told of a red flag on a case nobody is "
        "assigned, or whose caseworker linked no Telegram chat.",
    )
    digest_hour: int = Field(
        default=8,
        ge=0,
        le=23,
        description="Hour of the staff's daily digest, in the office's time zone.",
    )
    overdue_days: int = Field(
        default=3,
        ge=1,
        description="Days a case may wait on the office (submitted, in review, needs "
        "information) before the daily digest lists it as overdue.",
    )

    grant_cap_usd: Decimal = Field(
        default=Decimal(600),
        ge=0,
        decimal_places=2,
        description="The reintegration grant's cap per returnee, in US dollars, for a case "
        "in no project.",
    )
    grant_member_cap_usd: Decimal | None = Field(
        default=None,
        ge=0,
        decimal_places=2,
        description="Added to the grant's cap for each family member travelling, in US "
        "dollars, for a case in no project; none: nothing added.",
    )

    @field_validator("dashboard_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is no web address: write it as https://...")
        return value or None

    @field_validator("office_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Africa/Casablanca") from None
        return value

    @field_validator("return_contacts")
    @classmethod
    def _country_codes(cls, value: dict[str, ReturnContact]) -> dict[str, ReturnContact]:
        wrong = [code for code in value if not (len(code) == 2 and code.isalpha())]
        if wrong:
            raise ValueError(
                f"{', '.join(map(repr, wrong))} is not a two-letter country code, e.g. SN"
            )
        return {code.upper(): contact for code, contact in value.items()}

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(
                f"unknown logging level {value!r}: give one of {', '.join(LOG_LEVELS)}"
            )
        return value.upper()

    @model_validator(mode="after")
    def _backups_of_sqlite(self) -> Settings:
        if self.backup_dir is not None and not (self.database_url or "sqlite").startswith("sqlite"):
            raise ValueError(
                "INTAKE_BACKUP_DIR backs up the embedded SQLite database only: back up "
                "PostgreSQL with pg_dump (docs/DEPLOYMENT.md, 'Backups') and unset it"
            )
        return self

    @model_validator(mode="after")
    def _catalogs_exist(self) -> Settings:
        if not self.offered_languages():
            raise ValueError("INTAKE_LANGUAGES names no language: give at least one, e.g. fr,en")
        for language in self.offered_languages():
            if not _babel_knows(language):
                raise ValueError(
                    f"INTAKE_LANGUAGES offers {language!r}, which Babel does not know (it "
                    "names the language and gives its dates and countries): use an ISO 639 "
                    "code such as 'wo', or one with its territory such as 'pt_BR'"
                )
            path = self.locales_dir / language / "LC_MESSAGES" / "messages.po"
            if language != _SOURCE_LANGUAGE and not path.is_file():
                raise ValueError(
                    f"INTAKE_LANGUAGES offers {language!r} but {path} does not exist: "
                    "add its catalog or remove the language"
                )
        return self

    def offered_languages(self) -> tuple[str, ...]:
        """The languages of INTAKE_LANGUAGES, in its order, each once."""
        return tuple(dict.fromkeys(s.strip() for s in self.languages.split(",") if s.strip()))

    def grant_caps(self) -> tuple[int, int | None]:
        """The grant's caps of a case in no project, in US cents: per returnee, per member."""
        member = self.grant_member_cap_usd
        return int(self.grant_cap_usd * 100), None if member is None else int(member * 100)

    def database(self) -> str:
        """The database URL, creating the data directory for the SQLite default."""
        if self.database_url:
            return self.database_url
        self._make_data_dir()
        return f"sqlite:///{self.data_dir.resolve() / 'intake.db'}"

    def session_secret(self) -> str:
        """The session-signing key: from the environment, or made once and kept on disk."""
        return self._secret(self.secret_key, "secret_key")

    def webhook_token(self) -> str:
        """The webhook's secret token (Telegram allows A-Z, a-z, 0-9, _ and -)."""
        return self._secret(self.webhook_secret, "webhook_secret")

    def _secret(self, given: SecretStr | None, name: str) -> str:
        if given is not None:
            return given.get_secret_value()
        path = self.data_dir / name
        if not path.exists():
            self._make_data_dir()
            try:
                path.touch(mode=0o600)
                path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            except OSError as error:
                raise SettingsError(
                    f"Cannot write {path} ({_reason(error)}): make the data directory "
                    f"writable for this user, or set {self.env_name(name)}."
                ) from error
        return path.read_text(encoding="utf-8").strip()

    def _make_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SettingsError(
                f"Cannot create the data directory {self.data_dir} ({_reason(error)}): create "
                "it writable for this user, or set INTAKE_DATA_DIR to a folder that is."
            ) from error

    @staticmethod
    def env_name(field: str) -> str:
        info = Settings.model_fields[field]
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[0])
        return f"INTAKE_{field.upper()}"


def load_settings() -> Settings:
    """The settings from the environment and .env; SettingsError names each wrong one."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError("\n".join(_explain(e) for e in error.errors())) from error


def _babel_knows(language: str) -> bool:
    try:
        Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        return False
    return True


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def _explain(error: Mapping[str, Any]) -> str:
    """One wrong setting, by its environment name, without its value (it may be a secret)."""
    message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    location = error["loc"]
    if not location:  # a check across settings: its message names them
        return f"Settings: {message}."
    field = str(location[0])
    name = Settings.env_name(field) if field in Settings.model_fields else field
    return f"Setting {name}: {message[:1].lower()}{message[1:]}."
