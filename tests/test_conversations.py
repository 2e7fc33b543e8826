"""Conversation files are checked at load time, with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ROOT
from bot.conversations import (
    FlowError,
    check_translations,
    load_flow,
    load_flows,
    load_followups,
)
from bot.i18n import Catalogs

GOOD_STEP = '  - {id: name, kind: text, prompt: "Name?"}\n'


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text('flow: test\nversion: "1"\nsteps:\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('  - {id: a, kind: chioce, prompt: "A?"}\n', 4, "unknown kind 'chioce'"),
        (
            GOOD_STEP + '  - {id: name, kind: text, prompt: "Again?"}\n',
            5,
            "duplicate step id 'name'",
        ),
        ('  - {id: a, kind: choice, prompt: "A?"}\n', 4, "a choice step needs options"),
        (
            '  - {id: a, kind: text, prompt: "A?", when: {later: 1}}\n'
            '  - {id: later, kind: number, prompt: "B?"}\n',
            4,
            "condition names 'later', which is not an earlier step",
        ),
        (
            GOOD_STEP + '  - {id: b, kind: text, prompt: "B?", when: {name: {like: x}}}\n',
            5,
            "unknown operator 'like'",
        ),
        (
            GOOD_STEP + '  - {id: b, kind: yesno, prompt: "B?", colour: red}\n',
            5,
            "unknown key 'colour'",
        ),
        (
            '  - {id: a, kind: choice, prompt: "A?", options: [{value: no, label: "No"}]}\n',
            4,
            "option value False must be a lower_case string (quote yes/no)",
        ),
        (
            '  - {id: a, kind: repeat, prompt: "A?", count_from: x, steps: []}\n',
            4,
            "count_from must name an earlier number step",
        ),
        (
            '  - {id: a, kind: country, prompt: "A?", suggest: [Senegal]}\n',
            4,
            "'Senegal' is not a two-letter code",
        ),
        ("  - {id: a, kind: text}\n", 4, "missing 'prompt'"),
        (
            '  - {id: r, kind: review, prompt: "R"}\n' + GOOD_STEP,
            4,
            "a review step must be the last step",
        ),
        (
            '  - {id: l, kind: language, prompt: "L?", options: [{value: fr, label: F}]}\n',
            4,
            "a language step takes no options: it offers the languages of INTAKE_LANGUAGES",
        ),
    ],
)
def test_flow_errors_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(FlowError) as error:
        load_flow(path)
    assert f"{path}:{line}: " in str(error.value)
    assert message in str(error.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path, '  - {id: a, kind: nope, prompt: "A"}\n  - {id: b, kind: choice, prompt: "B"}\n'
    )
    with pytest.raises(FlowError) as error:
        load_flow(path)
    assert [p.line for p in error.value.problems] == [4, 5]


def test_missing_translation_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_STEP + '  - {id: b, kind: text, prompt: "Untranslated?"}\n')
    problems = check_translations(load_flow(path), str(path), {"fr": {"Name?"}})
    assert problems == [f"{path}:5: no fr translation for 'Untranslated?'"]


def test_intake_flow_loads_and_is_fully_translated() -> None:
    path = ROOT / "conversations" / "intake.yaml"
    flow = load_flow(path)
    assert [s.id for s in flow.steps][:3] == ["language", "consent", "voluntary"]
    assert flow.steps[-1].kind == "review"
    catalogs = Catalogs(ROOT / "locales")
    assert check_translations(flow, str(path), catalogs.known_messages()) == []


def test_the_language_question_offers_the_languages_given_in_their_order() -> None:
    flow = load_flows(ROOT / "conversations", ("en", "eo", "fr"))["intake"]
    assert [o.value for o in flow.step("language").options] == ["en", "eo", "fr"]
    assert load_flow(ROOT / "conversations" / "intake.yaml").step("language").options == ()


def test_conversations_check_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conversations", "check"]) == 0
    assert "3 conversation file(s) OK" in capsys.readouterr().out


def test_conversations_check_command_fails_on_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, '  - {id: a, kind: chioce, prompt: "A?"}\n')
    monkeypatch.setenv("INTAKE_CONVERSATIONS_DIR", str(tmp_path))
    assert main(["conversations", "check"]) == 1
    assert "flow.yaml:4: step 'a': unknown kind 'chioce'" in capsys.readouterr().out


def write_followups(tmp_path: Path, steps: str) -> Path:
    """A follow-up file with one check-in of `steps` (YAML lines, from line 9)."""
    path = tmp_path / "followup.yaml"
    path.write_text(
        'flow: followup\nversion: "1"\nschedule: {send_hour: 10}\ncheckins:\n'
        '  - id: day_7\n    label: "7 days after return"\n    after: {days: 7}\n'
        "    steps:\n" + steps,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("steps", "line", "kind"),
    [
        (
            '      - {id: count, kind: number, prompt: "How many children?", min: 0, max: 5}\n'
            "      - id: children\n"
            "        kind: repeat\n"
            "        count_from: count\n"
            '        prompt: "About each child."\n'
            '        item_label: "Child {n} of {total}"\n'
            '        steps: [{id: name, kind: text, prompt: "Name?"}]\n',
            10,
            "repeat",
        ),
        (
            '      - {id: safe, kind: yesno, prompt: "Safe?"}\n'
            '      - {id: check, kind: review, prompt: "Is this right?"}\n',
            10,
            "review",
        ),
        (
            '      - {id: consent, kind: consent, prompt: "Agree?", options: [{value: ok, label: "OK"}]}\n',
            9,
            "consent",
        ),
    ],
)
def test_a_check_in_refuses_the_kinds_it_cannot_render(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    steps: str,
    line: int,
    kind: str,
) -> None:
    """A repeat step passed the check, then failed when the check-in was sent."""
    path = write_followups(tmp_path, steps)
    with pytest.raises(FlowError) as error:
        load_followups(path)
    assert f"{path}:{line}: check-in 'day_7', step " in str(error.value)
    assert f"a check-in cannot ask a {kind} step (it can ask: choice, " in str(error.value)
    monkeypatch.setenv("INTAKE_CONVERSATIONS_DIR", str(tmp_path))
    assert main(["conversations", "check"]) == 1
    out = capsys.readouterr().out
    assert f"followup.yaml:{line}: check-in 'day_7', step " in out
    assert f"cannot ask a {kind} step" in out


def test_a_check_in_may_ask_the_kinds_it_renders(tmp_path: Path) -> None:
    path = write_followups(tmp_path, '      - {id: safe, kind: yesno, prompt: "Safe?"}\n')
    assert [s.id for s in load_followups(path).checkin("day_7").flow.steps] == ["safe"]
