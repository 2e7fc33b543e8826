"""The time zone of a country of return: its only zone, or its capital's."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global

# Countries with several zones: the capital's. The others have one zone in CLDR's data.
CAPITALS = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei",
    "GL": "America/Nuuk",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti",
    "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Hebron",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "UM": "Pacific/Wake",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}
FALLBACK = "UTC"


@functools.cache
def country_zone(country: str | None) -> str:
    """The zone check-ins to `country` use; UTC for an unknown country (never at night
    in West Africa, where most returns go)."""
    if not country:
        return FALLBACK
    if country in CAPITALS:
        return CAPITALS[country]
    zones = get_global("territory_zones").get(country, [])
    return zones[0] if len(zones) == 1 else FALLBACK


def zone_for(country: str | None, override: str | None = None) -> ZoneInfo:
    """The case's own zone when a caseworker set one, else the country's."""
    name = override if override and valid_zone(override) else country_zone(country)
    return ZoneInfo(name)


def valid_zone(name: str) -> bool:
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zones_of(country: str | None) -> list[str]:
    """The zones a caseworker may choose among for a country (all of them, capital first)."""
    capital = country_zone(country)
    others = sorted(z for z in get_global("territory_zones").get(country or "", []) if z != capital)
    return [capital, *[z for z in others if valid_zone(z)]]
