"""The `intake-bot` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot import cli_db, logs
from bot.config import LOG_LEVELS, Settings, SettingsError, load_settings
from bot.i18n import Catalogs
from bot.roles import Role

if TYPE_CHECKING:
    from bot.store import Store

OFFLINE = """\
No TELEGRAM_BOT_TOKEN is set: the bot runs offline, on its built-in phone simulator.

    Dashboard:  {url}
    Simulator:  {url}simulator

To connect to Telegram: talk to @BotFather, send /newbot, and put the token it gives
in the environment or in a .env file in this folder (TELEGRAM_BOT_TOKEN=123456789:AAE...).
"""
FIRST_ACCOUNT = """\
No dashboard account existed, so one was created. Write this password down now:
it is shown only once.

    Username:  {username}
    Password:  {password}
"""


def main(argv: Sequence[str] | None = None) -> int:
    # The arguments first, so that --help works even when a setting is wrong.
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        logs.configure(args.log_level or settings.log_level)
        if getattr(args, "language", False) is not False:
            args.language = _language(parser, args.language, settings)
        return int(asyncio.run(args.handler(args, settings)) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.debug or not isinstance(error, _operator_errors()):
            raise
        print(f"intake-bot: {error}", file=sys.stderr)
        return 1


def _operator_errors() -> tuple[type[Exception], ...]:
    """What the operator mends (a setting, the database, the token, the port): one sentence
    says what is wrong and what to do, instead of a traceback."""
    from bot.lifecycle import StartupError  # imported on the way out: --help stays quick
    from bot.store import DatabaseUnavailable

    return SettingsError, DatabaseUnavailable, StartupError


def _language(parser: argparse.ArgumentParser, given: str | None, settings: Settings) -> str:
    """--language, checked against the languages offered once the settings are read."""
    catalogs = Catalogs(
        settings.locales_dir, settings.default_language, settings.offered_languages()
    )
    if given is None:
        return catalogs.default
    if given not in catalogs.languages:
        offered = ", ".join(repr(language) for language in catalogs.languages)
        parser.error(f"argument --language: invalid choice: {given!r} (choose from {offered})")
    return given


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=[level.lower() for level in LOG_LEVELS],
        default=default,
        help="what the log shows (INTAKE_LOG_LEVEL, info); debug adds the libraries' routine lines",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an error, show the whole traceback instead of one sentence",
    )


class _Command(argparse.ArgumentParser):
    """A command's parser: it takes the common options too, after the command's name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _common_options(self, argparse.SUPPRESS)  # unset: the value before the name stays


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description="Telegram intake assistant for assisted voluntary return and reintegration.",
        epilog="Settings come from the environment or a .env file; see README.md.",
    )
    _common_options(parser, None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Command)

    run = commands.add_parser(
        "run",
        help="run the bot (polling) and the dashboard; offline simulator without a token",
    )
    run.add_argument("--host", help="where the dashboard listens (INTAKE_HOST, 127.0.0.1)")
    run.add_argument("--port", type=int, help="the dashboard's port (INTAKE_PORT, 8000)")
    run.add_argument(
        "--webhook-url",
        help="receive updates by webhook at this public HTTPS URL (INTAKE_WEBHOOK_URL)",
    )
    run.set_defaults(handler=_run)

    users = commands.add_parser("users", help="dashboard accounts")
    users_commands = users.add_subparsers(metavar="COMMAND", required=True)
    users_add = users_commands.add_parser("add", help="create a caseworker or supervisor")
    users_add.add_argument("name", help="the login name")
    users_add.add_argument("--role", choices=list(Role), default=Role.CASEWORKER)
    users_add.add_argument("--language", help="the account's language (INTAKE_DEFAULT_LANGUAGE)")
    users_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users_add.set_defaults(handler=_users_add)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal, offline")
    chat.add_argument("--language", help="the simulated phone's language (INTAKE_DEFAULT_LANGUAGE)")
    chat.add_argument("--name", default="Test", help="the simulated person's first name")
    chat.add_argument("--user-id", type=int, default=1, help="the simulated Telegram user id")
    chat.add_argument(
        "--phone", default="+212612345678", help="the number sent by 'share my phone number'"
    )
    chat.set_defaults(handler=_chat)

    cli_db.add_commands(commands)
    cli_db.add_statistics(commands)

    followups = commands.add_parser("followups", help="check-ins after return")
    followup_commands = followups.add_subparsers(metavar="COMMAND", required=True)
    listing = followup_commands.add_parser("list", help="counts by status, then the open ones")
    listing.add_argument("--limit", type=int, default=50, help="rows to show (50)")
    listing.set_defaults(handler=_followups_list, due=False)
    due = followup_commands.add_parser("due", help="the check-ins due now")
    due.add_argument("--limit", type=int, default=50, help="rows to show (50)")
    due.set_defaults(handler=_followups_list, due=True)
    send_now = followup_commands.add_parser(
        "send-now", help="send every due check-in now, as the scheduler would"
    )
    send_now.set_defaults(handler=_followups_send_now)

    purge = commands.add_parser(
        "purge", help="erase expired cases and abandoned intakes now, as the daily job does"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    purge.set_defaults(handler=_purge)

    conversations = commands.add_parser("conversations", help="conversation files")
    conv_commands = conversations.add_subparsers(metavar="COMMAND", required=True)
    check = conv_commands.add_parser("check", help="check every flow and its translations")
    check.set_defaults(handler=_conversations_check)

    translations = commands.add_parser(
        "translations",
        help="per language, the share of messages translated and the ones left",
        description="Print, for each language, the share of the messages translated in "
        "its catalog and the message ids still untranslated (empty or fuzzy). Exit "
        "status: 0 when every language is complete, 1 otherwise.",
    )
    translations.add_argument(
        "languages", nargs="*", metavar="LANGUAGE", help="the languages to check (INTAKE_LANGUAGES)"
    )
    translations.set_defaults(handler=_translations)
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build
    from bot.lifecycle import serve

    if args.webhook_url:
        settings = settings.model_copy(update={"webhook_url": args.webhook_url})
    if settings.telegram_bot_token is None and settings.webhook_url:
        print("A webhook needs TELEGRAM_BOT_TOKEN: Telegram sends the updates.", file=sys.stderr)
        return 2
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    # The process's name on its claims: the same after a restart, distinct per port.
    runtime = await build(settings, worker=f"{socket.gethostname()}:{port}")

    async def ready(url: str) -> None:
        if runtime.offline is not None:
            print(OFFLINE.format(url=url), flush=True)
            await _first_account(runtime.store, runtime.catalogs.default)

    await serve(runtime, host, port, ready=ready)
    return 0


async def _first_account(store: Store, language: str) -> None:
    """Without any account, create a supervisor and show its password once (not logged)."""
    from bot.passwords import hash_password
    from bot.store import accounts, audit

    async with store.unit() as unit:
        if await accounts.all_accounts(unit):
            return
        password = secrets.token_urlsafe(12)
        now = datetime.now(UTC)
        await accounts.add_account(
            unit, "admin", hash_password(password), Role.SUPERVISOR, language, now
        )
        await audit.record(unit, "account.created", now, actor="cli", role=Role.SUPERVISOR)
    print(FIRST_ACCOUNT.format(username="admin", password=password), flush=True)


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build
    from bot.chat.terminal import chat
    from bot.lifecycle import running, started

    settings = settings.model_copy(update={"telegram_bot_token": None})
    logs.configure("WARNING")  # the terminal is the chat: keep it for the conversation
    runtime = await build(settings)
    assert runtime.offline is not None
    person = runtime.offline.person(args.user_id, args.name, args.language)
    async with started(runtime), running(runtime):
        await chat(person, args.phone, _read_line)
    return 0


async def _read_line() -> str | None:
    try:
        return await asyncio.to_thread(input, "> ")
    except EOFError:
        return None


async def _users_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.passwords import MIN_PASSWORD, hash_password, weakness
    from bot.store import Store, accounts, audit

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The two passwords differ.", file=sys.stderr)
            return 1
    if (weak := weakness(password)) is not None:
        # In the office's language, as the dashboard would say it.
        catalogs = Catalogs(settings.locales_dir, settings.default_language)
        tr = catalogs.translator(settings.default_language)
        print(tr.gettext(weak, n=MIN_PASSWORD), file=sys.stderr)
        return 1
    store = Store(settings.database(), settings.grant_caps())
    await store.upgrade()
    try:
        async with store.unit() as unit:
            if await accounts.by_username(unit, args.name) is not None:
                print(f"An account named {args.name!r} exists already.", file=sys.stderr)
                return 1
            now = datetime.now(UTC)
            await accounts.add_account(
                unit, args.name, hash_password(password), args.role, args.language, now
            )
            await audit.record(unit, "account.created", now, actor="cli", role=args.role)
    finally:
        await store.close()
    print(f"{args.role} {args.name!r} created")
    return 0


async def _followups_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import Store, checkins

    store = Store(settings.database(), settings.grant_caps())
    await store.upgrade()
    try:
        async with store.unit() as unit:
            counts = await checkins.counts(unit)
            now = datetime.now(UTC)
            found = await checkins.listing(
                unit, due_before=now if args.due else None, limit=args.limit
            )
    finally:
        await store.close()
    if not args.due:
        print(", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "no check-ins")
    for reference, row in found:
        due = row.due_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"{reference}  {row.checkin:<9} {row.status:<8} due {due}  attempts {row.attempts}")
    if args.due and not found:
        print("nothing due")
    return 0


async def _followups_send_now(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build
    from bot.lifecycle import started

    if settings.telegram_bot_token is None:
        print(
            "Sending needs TELEGRAM_BOT_TOKEN: offline, nobody would receive them.", file=sys.stderr
        )
        return 2
    runtime = await build(settings)
    async with started(runtime):  # a refused token is one sentence, as for `run`
        report = await runtime.dispatcher.run_once()
    print(f"check-ins: {report}")
    return 0


async def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build

    runtime = await build(settings)
    try:  # reminders to unfinished intakes are the daily job's: none from here
        report = await runtime.retention.run(dry_run=args.dry_run, remind=False)
    finally:
        await runtime.stop()
    print(report)
    return 0


async def _conversations_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.conversations import ChecklistError, FlowError, check_file

    catalogs = Catalogs(settings.locales_dir)
    problems: list[str] = []
    paths = sorted(settings.conversations_dir.glob("*.yaml"))
    for path in paths:
        try:
            problems.extend(check_file(path, catalogs.known_messages()))
        except (FlowError, ChecklistError) as error:
            problems.append(str(error))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{len(paths)} conversation file(s) OK")
    return 0


async def _translations(args: argparse.Namespace, settings: Settings) -> int:
    from bot.translations import coverage, report

    found = coverage(settings.locales_dir, args.languages or settings.offered_languages())
    print(report(found))
    return 0 if all(item.complete for item in found) else 1


if __name__ == "__main__":
    sys.exit(main())
