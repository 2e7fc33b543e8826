"""The counselling checklist file: checked at load with file:line errors, its items applying
by the case's flags, and what completes it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.checklist import Entry, progress
from bot.cli import main
from bot.config import ROOT
from bot.conversations import CHECKLIST_FILE, ChecklistError, load_checklist, load_flows
from bot.conversations.checklist import check_checklist
from bot.conversations.extract import extract_yaml
from bot.i18n import Catalogs

SHIPPED = ROOT / "conversations" / CHECKLIST_FILE
HEAD = 'version: "1"\nrefusal_reasons:\n  - {value: other, label: "Other"}\nitems:\n'


def write(tmp_path: Path, items: str, head: str = HEAD) -> Path:
    path = tmp_path / CHECKLIST_FILE
    path.write_text(head + items, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("items", "line", "message"),
    [
        ('  - {id: seen, kind: tick, label: "Seen"}\n', 5,
         "item 'seen': kind must be one of confirm, choice, text"),
        ('  - {id: seen, kind: confirm, label: "Seen"}\n'
         '  - {id: seen, kind: text, label: "Again"}\n', 6, "duplicate id 'seen'"),
        ('  - {id: fit, kind: choice, label: "Fit"}\n', 5,
         "item 'fit': a choice needs a list of options"),
        ('  - id: guardian\n    kind: confirm\n    label: "Guardian"\n'
         "    when: {flags: [minr]}\n", 8, "item 'guardian': unknown flag 'minr'"),
        ('  - {id: seen, kind: confirm, label: "Seen", when: minor}\n', 5,
         "item 'seen': 'when' is {flags: [a flag, ...]}"),
        ('  - {id: Seen, kind: confirm, label: "Seen"}\n', 5,
         "id 'Seen': lower case letters, digits and _"),
        ('  - {id: seen, kind: confirm, label: "Seen", colour: red}\n', 5,
         "item 'seen': unknown key 'colour'"),
        ('  - {id: seen, kind: confirm}\n', 5, "missing 'label'"),
        ('  - {id: seen, kind: confirm, label: "Seen", required: maybe}\n', 5,
         "item 'seen': 'required' is true or false"),
    ],
)  # fmt: skip
def test_a_bad_item_is_reported_with_its_file_and_line(
    tmp_path: Path, items: str, line: int, message: str
) -> None:
    path = write(tmp_path, items)
    with pytest.raises(ChecklistError) as error:
        load_checklist(path)
    assert f"{path}:{line}: {message}" in str(error.value).splitlines()[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    head = 'version: "1"\nrefusal_reasons:\n  - {value: other}\nitems:\n'
    path = write(tmp_path, '  - {id: seen, kind: tick, label: "Seen"}\n', head)
    with pytest.raises(ChecklistError) as error:
        load_checklist(path)
    assert [(p.line, p.message) for p in error.value.problems] == [
        (3, "missing 'label'"),
        (5, "item 'seen': kind must be one of confirm, choice, text"),
    ]


def test_the_command_reports_a_bad_checklist_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("intake.yaml", "followup.yaml"):
        (tmp_path / name).write_text((ROOT / "conversations" / name).read_text("utf-8"), "utf-8")
    write(tmp_path, '  - {id: fit, kind: choice, label: "Fit"}\n')
    monkeypatch.setenv("INTAKE_CONVERSATIONS_DIR", str(tmp_path))
    assert main(["conversations", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / CHECKLIST_FILE}:5: item 'fit': a choice needs a list of options" in out


def test_the_command_reports_a_label_without_translation(tmp_path: Path) -> None:
    path = write(tmp_path, '  - {id: seen, kind: confirm, label: "Seen by the nurse"}\n')
    problems = check_checklist(path, Catalogs(ROOT / "locales").known_messages())
    assert f"{path}:5: no fr translation for 'Seen by the nurse'" in problems


def test_the_shipped_checklist_is_translated_and_not_read_as_a_flow() -> None:
    assert check_checklist(SHIPPED, Catalogs(ROOT / "locales").known_messages()) == []
    assert "checklist" not in load_flows(ROOT / "conversations", ["fr", "en"])


def test_labels_options_and_reasons_are_extracted_for_translation() -> None:
    with SHIPPED.open("rb") as fh:
        texts = {message for _line, _f, message, _c in extract_yaml(fh, {}, [], {})}
    checklist = load_checklist(SHIPPED)
    wanted = {item.label for item in checklist.items}
    wanted |= {o.label for item in checklist.items for o in item.options}
    wanted |= {reason.label for reason in checklist.reasons}
    assert wanted <= texts and "Fitness to travel" in wanted


def ids(flags: tuple[str, ...], entries: dict[str, Entry] | None = None) -> list[str]:
    return [line.item.id for line in progress(load_checklist(SHIPPED), flags, entries or {}).lines]


def test_items_apply_by_the_cases_flags() -> None:
    everyone = ["voluntariness", "status_checked", "fitness", "notes"]
    assert ids(()) == everyone
    assert ids(("refugee_or_asylum",)) == [*everyone[:2], "unhcr_referral", *everyone[2:]]
    minor = [*everyone[:2], "best_interests", "guardian_consent", *everyone[2:]]
    assert ids(("minor",)) == ids(("unaccompanied_minor",)) == minor


def test_the_checklist_is_complete_when_every_required_item_that_applies_is_done() -> None:
    checklist = load_checklist(SHIPPED)
    seen = Entry("voluntariness", "", date(2026, 11, 27), "Fatima")
    entries = {
        "voluntariness": seen,
        "status_checked": Entry("status_checked", "", date(2026, 11, 27), "Fatima"),
        "fitness": Entry("fitness", "needs_escort"),
    }
    assert progress(checklist, (), entries).complete  # the notes are optional
    minor = progress(checklist, ("minor",), entries)
    assert [item.id for item in minor.missing] == ["best_interests", "guardian_consent"]
    not_fit = {**entries, "fitness": Entry("fitness", "not_fit")}
    blocked = progress(checklist, (), not_fit)
    assert [item.id for item in blocked.missing] == ["fitness"]
    assert [line.blocking for line in blocked.lines if line.item.id == "fitness"] == [True]
    nobody = {**entries, "voluntariness": Entry("voluntariness", "", date(2026, 11, 27), " ")}
    assert [item.id for item in progress(checklist, (), nobody).missing] == ["voluntariness"]
