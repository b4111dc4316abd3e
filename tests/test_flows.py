"""Dialogue flows, the engine alone: scripted conversations (``bridge.flows.script``) against
the worked example of docs/flows.md (tests/flows/restaurant.toml): menus, FAQs with fuzzy
matches, collecting values with retries, timeouts, and every hand-over trigger."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.flows.engine import play
from bridge.flows.matching import best_match
from bridge.flows.script import ScriptError, play_script
from bridge.flows.values import check_value
from bridge.settings.flows import FlowSettings

HERE = Path(__file__).parent / "flows"
NUMBER = "+447700900100"
LONDON = ZoneInfo("Europe/London")
AT = datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
MENU = "Hi from Luigi's! Reply 1 for opening hours, 2 to rebook, 3 to ask a question."
HOURS = "We're open Tuesday to Sunday, 12:00 to 22:00."
HANDED = "Thanks, a member of our team will text you back shortly."


def restaurant(**changes: object) -> tuple[FlowSettings, ...]:
    data = tomllib.loads((HERE / "restaurant.toml").read_text(encoding="utf-8"))
    return tuple(FlowSettings.model_validate({**f, **changes}) for f in data["flows"])


def played(script: str, **changes: object) -> list[str]:
    result = play_script(script, restaurant(**changes), number=NUMBER, at=AT)
    assert result.failures == [], "\n".join(result.lines + result.failures)
    return result.lines


def test_the_documented_rebooking_script_passes() -> None:
    script = (HERE / "rebook.script").read_text(encoding="utf-8")
    lines = played(script)
    assert "  = finished with answers: date=2026-12-24, name=Ann Smith" in lines


def test_a_wrong_expectation_fails_with_its_line() -> None:
    result = play_script("> MENU\n< Hello\n", restaurant(), number=NUMBER, at=AT)
    assert result.failures == [f"2: expected 'Hello', the bridge said {MENU!r}"]


def test_menu_choices_by_number_word_and_typo() -> None:
    played(f"> MENU\n< {MENU}\n> 1\n< {HOURS}\n")
    played(f"> hi!\n< {MENU}\n> Opening hours please\n< {HOURS}\n")
    lines = played(f"> MENU\n< {MENU}\n> rebok\n< Which day would you like instead? (e.g. 24/12)\n")
    assert any("fuzzy match on 'rebook'" in line for line in lines)


def test_menu_asks_again_then_hands_over_on_the_second_failure() -> None:
    lines = played(
        f"> MENU\n> 7\n< Sorry, reply 1, 2 or 3 (or AGENT for a person).\n> 9\n< {HANDED}\n"
    )
    assert "  ! handed over: step 'menu' did not understand the answer 2 times" in lines


def test_faq_answers_by_keyword_and_by_fuzzy_question() -> None:
    lines = played(
        "> MENU\n> 3\n< What would you like to know?\n"
        "> can I park nearby?\n< There is free parking behind the restaurant.\n"
        f"> what are ur opning hours\n< {HOURS}\n"
        "> vegetarian?\n< Half of our menu is vegetarian, and every pizza can be made vegan.\n"
    )
    fuzzy = [line for line in lines if "fuzzy match on 'what are your opening hours'" in line]
    assert fuzzy and float(fuzzy[0].rsplit("score ", 1)[1].rstrip(")")) >= 0.75


def test_faq_below_the_threshold_hands_over() -> None:
    script = f"> MENU\n> 3\n> wht r yr opng hrs\n< {HANDED}\n"
    lines = played(script, fuzzy_threshold=0.99)
    assert any("nothing in the FAQ of step 'faq' matches" in line for line in lines)


def test_collecting_a_date_with_retries_keeps_the_answers() -> None:
    lines = played(
        "> MENU\n> 2\n> yesterday\n"
        "< Sorry, that is not a date I can read: try 24/12 or 24 December.\n"
        "> 01/01/2027\n< And the name of the booking?\n"
        "> Ann\n< Thanks! We'll confirm your new booking by text shortly.\n"
    )
    assert "  = finished with answers: date=2027-01-01, name=Ann" in lines


def test_a_value_wrong_twice_hands_over_with_what_was_collected() -> None:
    flows = restaurant()
    state = None
    for text in ("MENU", "2", "soon", "later"):
        turn = play(flows, state, text, reply_number=NUMBER, at=AT)
        assert turn is not None
        state = turn.state
    assert turn.handover == "step 'date' did not understand the answer 2 times"
    assert state is not None and state.status == "handed over" and state.step == "date"


def test_asking_for_a_person_hands_over_at_any_step() -> None:
    for words in ("AGENT", "can I talk to a human please", "Person!"):
        lines = played(f"> MENU\n> 2\n> {words}\n< {HANDED}\n")
        assert any("the customer asked for a person" in line for line in lines)


def test_an_admins_escalation_word_hands_over() -> None:
    lines = played(f"> MENU\n> I want to make a complaint\n< {HANDED}\n")
    assert any("the text mentions 'complaint'" in line for line in lines)


def test_the_handover_words_are_configurable() -> None:
    played(
        "> MENU\n> agent\n< Sorry, reply 1, 2 or 3 (or AGENT for a person).\n",
        handover_words=["staff"],
    )
    played(f"> MENU\n> staff\n< {HANDED}\n", handover_words=["staff"])


def test_silent_while_handed_over_and_resumes_after_close() -> None:
    lines = played(
        f"> MENU\n> 2\n> agent\n< {HANDED}\n"
        "> hello?\n<\n> MENU\n<\n"  # a person has it: routing decides, the flow says nothing
        "! close\n"
        "> 25/12\n< And the name of the booking?\n"
    )
    assert "  (a person has it: routing decides)" in lines
    assert any("resumed at 'date'" in line for line in lines)


def test_without_resume_a_closed_handover_stays_silent() -> None:
    played(f"> MENU\n> agent\n< {HANDED}\n! close\n> 1\n<\n", resume=False)


def test_a_resumed_flow_asks_its_step_again_for_an_unrelated_text() -> None:
    played(f"> MENU\n> agent\n! close\n> thanks!\n< {MENU}\n")


def test_an_idle_flow_times_out_and_the_next_text_is_routed() -> None:
    lines = played(f"> MENU\n> 2\n+ 31m\n> 1\n<\n> MENU\n< {MENU}\n")
    assert "  (no flow takes it: routing decides)" in lines
    played("> MENU\n> 2\n+ 29m\n> 24/12\n< And the name of the booking?\n")


def test_a_handover_times_out_only_for_a_new_start() -> None:
    played(f"> MENU\n> agent\n+ 2h\n> hello\n<\n> MENU\n< {MENU}\n")


def test_not_started_on_other_numbers_or_within_a_sentence() -> None:
    flows = restaurant()
    assert play(flows, None, "MENU", reply_number="+447700900200", at=AT) is None
    assert play(flows, None, "show me the menu", reply_number=NUMBER, at=AT) is None


def test_a_state_of_a_removed_flow_is_forgotten() -> None:
    flows = restaurant()
    turn = play(flows, None, "MENU", reply_number=NUMBER, at=AT)
    assert turn is not None and turn.state is not None
    renamed = tuple(f.model_copy(update={"name": "other"}) for f in flows)
    assert play(renamed, turn.state, "1", reply_number=NUMBER, at=AT) is None


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("date", "24/12", "2026-12-24"),
        ("date", "24/12/26", "2026-12-24"),
        ("date", "2027-01-03", "2027-01-03"),
        ("date", "3rd January", "2027-01-03"),
        ("date", "Jan 3 2027", "2027-01-03"),
        ("date", "tomorrow", "2026-12-08"),
        ("date", "31/02", None),
        ("date", "06/12/2026", None),  # already past
        ("date", "next week", None),
        ("uk_postcode", "sw1a1aa", "SW1A 1AA"),
        ("uk_postcode", " M1  1AE ", "M1 1AE"),
        ("uk_postcode", "12345", None),
        ("text", "  ", None),
    ],
)
def test_values(kind: str, text: str, value: str | None) -> None:
    assert check_value(kind, text, at=AT) == value


def test_a_booking_reference_by_regex() -> None:
    assert check_value("regex", "ab-1234", pattern=r"[A-Z]{2}-\d{4}", at=AT) == "ab-1234"
    assert check_value("regex", "ab-12345", pattern=r"[A-Z]{2}-\d{4}", at=AT) is None


def test_digits_are_only_matched_exactly() -> None:
    choices = [(("1",), ()), (("12",), ())]
    assert best_match("12", choices, threshold=0.5) is not None
    assert best_match("2", choices, threshold=0.5) is None


def test_a_script_line_that_is_not_an_instruction() -> None:
    with pytest.raises(ScriptError, match="line 2"):
        play_script("> MENU\nhello\n", restaurant(), number=NUMBER, at=AT)
    with pytest.raises(ScriptError, match="line 1"):
        play_script("+ soon\n", restaurant(), number=NUMBER, at=AT)
