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


WEIGHTS = "{weights: {economic: 0.4, social: 0.3, psychosocial: 0.3}}"


def write_scored(tmp_path: Path, steps: str, scoring: str = WEIGHTS, flags: str = "") -> Path:
    """A follow-up file whose `scoring:` is line 4 and whose check-in's steps start line 10."""
    path = tmp_path / "followup.yaml"
    scoring_line = f"scoring: {scoring}\n" if scoring else "# no scoring\n"
    path.write_text(
        'flow: followup\nversion: "1"\nschedule: {send_hour: 10}\n' + scoring_line
        + 'checkins:\n  - id: month_3\n    label: "3 months after return"\n'
        "    after: {months: 3}\n    steps:\n" + steps + flags,
        encoding="utf-8",
    )  # fmt: skip
    return path


CHOICE = '      - {{id: housing, kind: choice, prompt: "Housing?", {extra}options: [{options}]}}\n'
GOOD, BAD = '{value: good, label: "Good", score: 1}', '{value: bad, label: "Bad", score: 0}'


def scored(dimension: str = "social", good: str = GOOD) -> str:
    extra = f"dimension: {dimension}, " if dimension else ""
    return CHOICE.format(extra=extra, options=f"{good}, {BAD}")


@pytest.mark.parametrize(
    ("steps", "scoring", "flags", "line", "message"),
    [
        (scored("wealth"), WEIGHTS, "", 10,
         "step 'housing': unknown dimension 'wealth' (economic, social, psychosocial)"),
        (scored(good='{value: good, label: "Good", score: 1.5}'), WEIGHTS, "", 10,
         "the score of 'good' must be a number from 0 to 1"),
        (scored(good='{value: good, label: "Good", score: high}'), WEIGHTS, "", 10,
         "the score of 'good' must be a number from 0 to 1"),
        (scored(""), WEIGHTS, "", 10,
         "step 'housing': its answers have scores, but it names no 'dimension'"),
        (scored(), "{weights: {economic: 0.4, social: 0.3, psychosocial: 0.2}}", "", 4,
         "scoring.weights add up to 0.9, not 1"),
        (scored(), "{weights: {economic: 0.4, social: 0.3, wealth: 0.3}}", "", 4,
         "scoring.weights: unknown dimension 'wealth'"),
        (scored(), "{weights: {economic: 1.2, social: -0.2}}", "", 4,
         "scoring.weights.economic is 1.2: it must be from 0 to 1"),
        (scored(), "{weights: {economic: 1}}", "", 10,
         "step 'housing': dimension 'social' has no weight in scoring.weights"),
        (scored(), "", "", 10,
         "check-in 'month_3' scores answers, but the file has no 'scoring'"),
        (scored(), "{economic: 1}", "", 4, "'scoring' is {weights: {economic: W"),
        ('      - {id: town, kind: text, prompt: "Town?", dimension: social}\n', WEIGHTS, "", 10,
         "step 'town': only a choice or yesno step is scored"),
        ('      - {id: safe, kind: yesno, prompt: "Safe?", dimension: psychosocial}\n', WEIGHTS,
         "", 10, "step 'safe': a step in a dimension needs a score on an option"),
        ('      - {id: safe, kind: yesno, prompt: "Safe?", dimension: psychosocial,'
         ' scores: {"yes": 1, maybe: 0}}\n', WEIGHTS, "", 10,
         "step 'safe': 'scores' names 'maybe': only yes and no"),
        (CHOICE.format(extra="dimension: social, scores: {good: 1}, ", options=GOOD), WEIGHTS,
         "", 10, "only a yesno step has 'scores'; a choice gives each option a 'score'"),
        (CHOICE.format(extra="dimension: social, weight: 0, ", options=GOOD), WEIGHTS, "", 10,
         "step 'housing': 'weight' is a number above 0"),
        (scored(), WEIGHTS,
         "    flags:\n      - {flag: low_economic_score, when: {score.economic: {lte: 0.25}}}\n",
         12, "condition names 'score.economic', which is a score not computed here"),
    ],
)  # fmt: skip
def test_scoring_errors_name_file_and_line(
    tmp_path: Path, steps: str, scoring: str, flags: str, line: int, message: str
) -> None:
    path = write_scored(tmp_path, steps, scoring, flags)
    with pytest.raises(FlowError) as error:
        load_followups(path)
    assert f"{path}:{line}: " in str(error.value)
    assert message in str(error.value)


def test_scores_and_score_conditions_load(tmp_path: Path) -> None:
    """Unquoted, YAML reads yes and no as booleans: a yes/no step's scores take both."""
    steps = scored() + (
        '      - {id: safe, kind: yesno, prompt: "Safe?", dimension: psychosocial, weight: 2,'
        " scores: {yes: 1, no: 0}}\n"
    )
    flags = "    flags:\n      - {flag: low_social, when: {score.social: {lte: 0.25}}}\n"
    flow = load_followups(write_scored(tmp_path, steps, flags=flags)).checkin("month_3").flow
    assert flow.scoring is not None and flow.scoring.weights["economic"] == 0.4
    safe = flow.step("safe")
    assert (safe.dimension, safe.weight, [o.score for o in safe.options]) == (
        "psychosocial", 2.0, [1.0, 0.0]
    )  # fmt: skip
    assert [o.score for o in flow.step("housing").options] == [1.0, 0.0]
    assert [rule.flag for rule in flow.flags] == ["low_social"]


def test_an_intake_step_is_not_scored(tmp_path: Path) -> None:
    path = write(tmp_path, '  - {id: a, kind: yesno, prompt: "A?", dimension: social,'
                           ' scores: {"yes": 1, "no": 0}}\n')  # fmt: skip
    with pytest.raises(FlowError) as error:
        load_flow(path)
    assert f"{path}:4: step 'a': only a check-in's answers are scored" in str(error.value)
