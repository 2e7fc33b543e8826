"""What a dashboard account may do: its role, and how the role reads."""

from __future__ import annotations

import enum

from bot.engine.flow import N_


class Role(enum.StrEnum):
    """A dashboard account's role; each member equals the string stored in the database."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"  # also manages accounts and reads the audit log


LABELS: dict[Role, str] = {Role.CASEWORKER: N_("Caseworker"), Role.SUPERVISOR: N_("Supervisor")}
ROLES = frozenset(Role)
