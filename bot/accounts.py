"""Account use-cases: a supervisor resets a password; an account changes its own.

A reset is either a one-time link (single use, expiring, only its hash kept) or a
temporary password that must be changed at the next sign-in. Each step is audited with
account ids only.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from anyio import to_thread

from bot.engine.flow import N_
from bot.passwords import hash_password, verify_password, weakness
from bot.roles import Permission, can
from bot.store import Store, accounts, audit, resets
from bot.store.accounts import AccountRecord
from bot.store.unit import Unit

LINK_LIFETIME = timedelta(hours=24)  # long enough to reach a colleague, short if it leaks
Clock = Callable[[], datetime]


class PasswordRefused(Exception):
    """A password change or reset that cannot be done; `reason` is translatable with
    `n=MIN_PASSWORD`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LINK_INVALID = N_("This link does not work any more: ask a supervisor for a new one.")
MISMATCH = N_("The two new passwords differ.")
WRONG_CURRENT = N_("Your current password is not right.")
SAME = N_("Choose a password other than the one you have.")


class Accounts:
    """Password resets and changes, bound to the store and the clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def reset_link(self, supervisor: AccountRecord, account_id: int) -> str:
        """A one-time link's token for the account (shown once, to the supervisor)."""
        now = self.clock()
        async with self.store.unit() as unit:
            await self._target(unit, supervisor, account_id)
            token = await resets.add_link(unit, account_id, supervisor.username, now, LINK_LIFETIME)
            await audit.record(
                unit, "account.reset_link_made", now, actor=supervisor.username, account=account_id
            )
        return token

    async def temporary_password(self, supervisor: AccountRecord, account_id: int) -> str:
        """A new random password for the account, which it must change at its next sign-in;
        its sign-ins end now."""
        password = _temporary()
        hashed = await to_thread.run_sync(hash_password, password)
        now = self.clock()
        async with self.store.unit() as unit:
            await self._target(unit, supervisor, account_id)
            await resets.set_password(unit, account_id, hashed, must_change=True)
            await audit.record(
                unit,
                "account.temporary_password_set",
                now,
                actor=supervisor.username,
                account=account_id,
            )
        return password

    async def link_works(self, token: str) -> bool:
        async with self.store.unit() as unit:
            return await resets.link_account(unit, token, self.clock()) is not None

    async def use_link(self, token: str, new: str, repeated: str) -> AccountRecord:
        """Choose a new password through a one-time link, which then stops working."""
        _check_new(new, repeated)
        hashed = await to_thread.run_sync(hash_password, new)
        now = self.clock()
        async with self.store.unit() as unit:
            account_id = await resets.use_link(unit, token, now)
            account = await accounts.by_id(unit, account_id) if account_id is not None else None
            if account is None:
                raise PasswordRefused(LINK_INVALID)
            await resets.set_password(unit, account.id, hashed, must_change=False)
            await audit.record(unit, "account.password_reset", now, actor=account.username)
        return account

    async def change_password(
        self, account: AccountRecord, sign_in: str | None, current: str, new: str, repeated: str
    ) -> None:
        """The account's own change; its other browsers are signed out, this one stays."""
        if not await to_thread.run_sync(verify_password, account.password_hash, current):
            raise PasswordRefused(WRONG_CURRENT)
        _check_new(new, repeated)
        if new == current:
            raise PasswordRefused(SAME)
        hashed = await to_thread.run_sync(hash_password, new)
        now = self.clock()
        async with self.store.unit() as unit:
            await resets.set_password(
                unit, account.id, hashed, must_change=False, keep_sign_in=sign_in
            )
            await audit.record(
                unit,
                "account.password_changed",
                now,
                actor=account.username,
                was_temporary=account.must_change_password,
            )

    async def _target(self, unit: Unit, supervisor: AccountRecord, account_id: int) -> None:
        if not can(supervisor.role, Permission.MANAGE_ACCOUNTS):
            raise PasswordRefused(N_("Only supervisors may reset a password."))
        found = await accounts.by_id(unit, account_id)
        if found is None or not found.active:
            raise PasswordRefused(N_("Only an active account's password can be reset."))


def _check_new(new: str, repeated: str) -> None:
    if new != repeated:
        raise PasswordRefused(MISMATCH)
    if (weak := weakness(new)) is not None:
        raise PasswordRefused(weak)


def _temporary() -> str:
    """Four groups of four letters and digits, easy to read out over the phone."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no l/1, o/0, i
    groups = ("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
    return "-".join(groups)
