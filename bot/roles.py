"""What a dashboard account may do: its role, how the role reads, and what it permits.

`PERMISSIONS` is the one table of who may do what; every route of the dashboard names the
permission it needs (bot/web/permissions.py), and a test walks every route for every role.
"""

from __future__ import annotations

import enum

from bot.engine.flow import N_


class Role(enum.StrEnum):
    """A dashboard account's role; each member equals the string stored in the database."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"  # also manages accounts and reads the audit log
    MONITORING = "monitoring"  # reads cases and reports, changes nothing


LABELS: dict[Role, str] = {
    Role.CASEWORKER: N_("Caseworker"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.MONITORING: N_("Monitoring (read only)"),
}
ROLES = frozenset(Role)


class Permission(enum.StrEnum):
    """One thing an account may do in the dashboard."""

    OWN_ACCOUNT = "own_account"  # change one's own password
    READ_CASES = "read_cases"  # the queue and the case pages
    READ_REPORTS = "read_reports"  # aggregates, without personal data
    EDIT_CASES = "edit_cases"  # status, return date, assignment and the case's other facts
    WRITE_NOTES = "write_notes"
    SEND_MESSAGES = "send_messages"  # anything that reaches the person
    LINK_CASES = "link_cases"  # mark two cases as the same person
    EXPORT_PERSONAL_DATA = "export_personal_data"  # CSV, XLSX, anything with names in it
    USE_SIMULATOR = "use_simulator"
    MANAGE_ACCOUNTS = "manage_accounts"  # create, deactivate, reset passwords
    READ_AUDIT = "read_audit"
    MANAGE_SOURCES = "manage_sources"  # outreach links and their QR codes
    ASSIGN_CASES = "assign_cases"  # give cases to caseworkers, and see each one's workload
    MANAGE_TEMPLATES = "manage_templates"  # write the office's message templates
    MANAGE_GRANTS = "manage_grants"  # the reintegration plan and the grant's items
    OVERRIDE_GRANT_CAP = "override_grant_cap"  # approve an item over the grant's cap, with a note
    MANAGE_PROJECTS = "manage_projects"  # funded projects' terms, and their waiting lists


_READ = frozenset({Permission.OWN_ACCOUNT, Permission.READ_CASES, Permission.READ_REPORTS})
# Reports are for supervisors and monitoring: a caseworker works cases, one by one.
_WORK = (_READ - {Permission.READ_REPORTS}) | {
    Permission.EDIT_CASES,
    Permission.WRITE_NOTES,
    Permission.SEND_MESSAGES,
    Permission.LINK_CASES,
    Permission.EXPORT_PERSONAL_DATA,
    Permission.USE_SIMULATOR,
    Permission.MANAGE_GRANTS,
}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MONITORING: _READ,
    Role.CASEWORKER: _WORK,
    Role.SUPERVISOR: _WORK
    | {
        Permission.READ_REPORTS,
        Permission.MANAGE_ACCOUNTS,
        Permission.READ_AUDIT,
        Permission.MANAGE_SOURCES,
        Permission.ASSIGN_CASES,
        Permission.MANAGE_TEMPLATES,
        Permission.OVERRIDE_GRANT_CAP,
        Permission.MANAGE_PROJECTS,
    },
}


def can(role: str, permission: Permission) -> bool:
    """Whether an account of `role` may do `permission`; an unknown role may do nothing."""
    return role in ROLES and permission in PERMISSIONS[Role(role)]
