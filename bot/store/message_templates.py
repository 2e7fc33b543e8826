"""The message templates supervisors wrote or edited: one row per template and language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from bot.store.tables import message_templates
from bot.store.unit import Unit


@dataclass(frozen=True)
class TemplateText:
    key: str
    language: str
    title: str
    body: str
    updated_by: str
    updated_at: datetime


async def stored(unit: Unit, key: str | None = None) -> list[TemplateText]:
    """Every stored text (of one template when `key` is given), in the order written."""
    t = message_templates.c
    query = select(t.key, t.language, t.title, t.body, t.updated_by, t.updated_at)
    if key is not None:
        query = query.where(t.key == key)
    result = await unit.connection.execute(query.order_by(t.id))
    return [TemplateText(**row) for row in result.mappings()]


async def save(
    unit: Unit, key: str, language: str, title: str, body: str, actor: str, now: datetime
) -> bool:
    """Write one language's text of a template; False if it was already exactly this."""
    t = message_templates.c
    found = (
        await unit.connection.execute(
            select(t.id, t.title, t.body).where(t.key == key, t.language == language)
        )
    ).first()
    values = {"title": title, "body": body, "updated_by": actor, "updated_at": now}
    if found is None:
        await unit.connection.execute(
            insert(message_templates).values(key=key, language=language, **values)
        )
        return True
    if (found.title, found.body) == (title, body):
        return False
    await unit.connection.execute(update(message_templates).where(t.id == found.id).values(values))
    return True
