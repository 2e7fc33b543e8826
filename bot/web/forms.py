"""A form the server refused, shown again with what was typed and the error by its field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from starlette.datastructures import FormData


@dataclass(frozen=True)
class Refusal:
    """Which form was refused, the field at fault ("" for the whole form), the translated
    message, and every value the caseworker had entered, so nothing is lost."""

    form: str
    field: str
    message: str
    values: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, form: str, field: str, message: str, data: FormData) -> Refusal:
        values: dict[str, list[str]] = {}
        for key, value in data.multi_items():
            if isinstance(value, str) and key != "csrf_token":
                values.setdefault(key, []).append(value)
        return cls(form, field, message, values)

    def invalid(self, form: str, field: str) -> bool:
        """Whether this field of this form is the one at fault."""
        return self.form == form and self.field == field

    def value(self, form: str, name: str, default: str = "") -> str:
        """What was typed into `name`, or `default` for another form's field."""
        if self.form != form:
            return default
        return self.values.get(name, [default])[0]

    def chosen(self, form: str, name: str, value: str) -> bool:
        """Whether `value` was ticked or selected for `name`."""
        return self.form == form and value in self.values.get(name, [])
