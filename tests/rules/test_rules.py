"""Normalization rules: a battery of rules, each with an input record and the expected output."""

from __future__ import annotations

import pytest

from indexer.rules import compile_rules
from tests.rules.records import lines, record, text_lines

BOOK = """
001 991230101
005 20200101120000.0
007 cr |||||||||||
008 200101s2010    xxu           000 0 eng d
020 __ $a 9780306406157
035 __ $a (OCoLC)12345
035 __ $a (DE-605)HT999
100 1_ $a Smith, John.
245 10 $a A title / $c John Smith.
500 __ $a A note,
650 _0 $a Cats $z United States.
650 _0 $a Cats $z United States.
900 __ $a Local
900 __ $a Other
955 __ $a copy data
"""


def apply(rules: str, text: str = BOOK) -> list[str]:
    return lines(compile_rules(rules).apply(record(text)))


def without(text: str, *prefixes: str) -> list[str]:
    return [line for line in text_lines(text) if not line.startswith(prefixes)]


CASES = [
    pytest.param(
        'rule "remove local fields" when (TRUE) then removeField "9.." end',
        without(BOOK, "900", "955"),
        id="removeField-wildcard-tag",
    ),
    pytest.param(
        'rule "r" when TRUE then removeField "035.a.(OCoLC)*" end',
        without(BOOK, "035 __ $a (OCoLC)"),
        id="removeField-with-value-wildcard",
    ),
    pytest.param(
        'rule "r" when (TRUE) then removeField "900" if (exists "900.a.Local") end',
        without(BOOK, "900 __ $a Local"),
        id="removeField-if-same-tag-is-per-field",
    ),
    pytest.param(
        'rule "r" when (TRUE) then removeField "955" if (exists "900.a.Nothing") end',
        text_lines(BOOK),
        id="removeField-if-other-tag-false",
    ),
    pytest.param(
        'rule "r" when (TRUE) then removeControlField "007" if (existsControl "007.{0,1}.c") end',
        without(BOOK, "007"),
        id="removeControlField-if-position",
    ),
    pytest.param(
        'rule "r" when existsControl "008.{7,4}.2010" then removeControlField "005" end',
        without(BOOK, "005"),
        id="existsControl-008-date",
    ),
    pytest.param(
        'rule "r" when existsControl "008.{7,4}.1999" then removeControlField "005" end',
        text_lines(BOOK),
        id="existsControl-false",
    ),
    pytest.param(
        'rule "r" when (TRUE) then removeSubField "650.z" end',
        [
            line.replace(" $z United States.", "") if line.startswith("650") else line
            for line in text_lines(BOOK)
        ],
        id="removeSubField",
    ),
    pytest.param(
        'rule "r" when (TRUE) then removeSubField "955.a" end',
        without(BOOK, "955"),
        id="removeSubField-empties-field",
    ),
    pytest.param(
        'rule "r" when not exists "949.x.*" then addField "949.x.ULINC" '
        'addSubField "949.t.READ" end',
        without(BOOK, "955") + ["949 __ $x ULINC $t READ", "955 __ $a copy data"],
        id="addField-then-addSubField-in-tag-order",
    ),
    pytest.param(
        'rule "r" when (TRUE) then addField "246.{3,0}.a.Other title" end',
        text_lines(BOOK)[:9] + ["246 30 $a Other title"] + text_lines(BOOK)[9:],
        id="addField-indicators",
    ),
    pytest.param(
        'rule "r" when (TRUE) then addControlField "006.m     o  d        " end',
        text_lines(BOOK)[:2] + ["006 m     o  d        "] + text_lines(BOOK)[2:],
        id="addControlField",
    ),
    pytest.param(
        'rule "change field 519 to 919"\npriority 10\nwhen\n(true)\nthen\n'
        'changeField "900" to "919"\nend\n'
        'rule "dups" priority 9 when (TRUE) then correctDuplicateFields "919,650" end',
        [
            line.replace("900 ", "919 ")
            for i, line in enumerate(text_lines(BOOK))
            if i != 11  # the second, identical 650
        ],
        id="changeField-then-correctDuplicateFields",
    ),
    pytest.param(
        'rule "r" when (TRUE) then changeSubField "245.c" to "d" end',
        [
            line.replace("$c John", "$d John") if line.startswith("245") else line
            for line in text_lines(BOOK)
        ],
        id="changeSubField",
    ),
    pytest.param(
        'rule "r" when (TRUE) then replaceContents "650.z.United States" with "USA" end',
        [line.replace("United States", "USA") for line in text_lines(BOOK)],
        id="replaceContents-substring",
    ),
    pytest.param(
        'rule "r" when (TRUE) then prefix "245.a" with ">> " suffix "500.a" with "!" end',
        [
            line.replace("$a A title", "$a >> A title").replace("A note,", "A note,!")
            for line in text_lines(BOOK)
        ],
        id="prefix-suffix",
    ),
    pytest.param(
        'rule "r" when exists "245.a.*" AND (exists "100" OR exists "110") '
        'then removeField "500" end',
        without(BOOK, "500"),
        id="and-or-parentheses",
    ),
    pytest.param(
        'rule "r" when exists "245.{1,0}.a.A title*" AND NOT exists "999" '
        'then removeField "500" end',
        without(BOOK, "500"),
        id="indicators-and-not",
    ),
    pytest.param(
        'rule "r" when exists "245.{0,0}" then removeField "500" end',
        text_lines(BOOK),
        id="indicators-mismatch",
    ),
    pytest.param(
        'rule "r" when (TRUE) then changeFirstIndicator "100" to "0" '
        'changeSecondIndicator "245" to "4" end',
        [line.replace("100 1_", "100 0_").replace("245 10", "245 14") for line in text_lines(BOOK)],
        id="change-indicators",
    ),
    pytest.param(
        'rule "r" when (TRUE) then replaceControlContents "LDR.{17,1}. " with "8" end',
        ["LDR 00000nam a22000008a 4500", *text_lines(BOOK)],
        id="replaceControlContents-leader",
    ),
    pytest.param(
        'rule "r" when existsMoreThanOnce "650" then correctDuplicateFields end',
        without(BOOK, "650")[:10]
        + ["650 _0 $a Cats $z United States."]
        + without(BOOK, "650")[10:],
        id="existsMoreThanOnce-correctDuplicateFields-all",
    ),
]


@pytest.mark.parametrize(("rules", "expected"), CASES)
def test_rule_battery(rules: str, expected: list[str]) -> None:
    assert apply(rules) == expected


def test_salience_orders_rules_higher_first() -> None:
    rules = """
    rule "second" salience 1 when exists "500.a.A note,X" then addField "590.a.seen" end
    rule "first" salience 5 when (TRUE) then suffix "500.a" with "X" end
    """
    assert "590 __ $a seen" in apply(rules)


def test_equal_salience_runs_in_file_order() -> None:
    rules = """
    rule "a" when (TRUE) then suffix "500.a" with "1" end
    rule "b" when (TRUE) then suffix "500.a" with "2" end
    """
    assert "500 __ $a A note,12" in apply(rules)


def test_escapes_and_typographic_quotes() -> None:
    rules = (
        "rule “rtl” when TRUE then prefix “245.a” with “\\u202B”"
        " if (not exists “245.a.\\u202B*”) end"
    )
    once = compile_rules(rules).apply(record(BOOK))
    twice = compile_rules(rules).apply(once)
    assert once["245"]["a"] == "\u202bA title /"
    assert twice["245"]["a"] == "\u202bA title /"


def test_comments_are_ignored() -> None:
    rules = """
    # a comment
    rule "r" // another
    when /* inline */ TRUE then removeField "955" end
    """
    assert apply(rules) == without(BOOK, "955")


def test_apply_leaves_the_input_record_unchanged() -> None:
    original = record(BOOK)
    before = lines(original)
    rules = compile_rules(
        'rule "r" when TRUE then prefix "245.a" with "x" removeField "9.." '
        'replaceControlContents "LDR.{5,1}.n" with "c" changeField "650" to "651" end'
    )
    changed = rules.apply(original)
    assert lines(original) == before
    assert lines(changed) != before
    assert str(changed.leader)[5] == "c"


def test_rule_not_firing_returns_an_equal_copy() -> None:
    original = record(BOOK)
    result = compile_rules('rule "r" when exists "999" then removeField "245" end').apply(original)
    assert result is not original
    assert lines(result) == lines(original)


def test_alma_example_comma_at_end() -> None:
    """The three-rule example of Alma's tech blog: remove only the last comma of 500 $a."""
    rules = """
    rule "one" priority 10 when (TRUE) then suffix "500.a" with "temporary_suffix" end
    rule "two" priority 9 when (TRUE) then replaceContents "500.a.,temporary_suffix" with "" end
    rule "three" priority 8 when (TRUE) then replaceContents "500.a.temporary_suffix" with "" end
    """
    text = BOOK.replace("A note,", "A, note,")
    assert "500 __ $a A, note" in apply(rules, text)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("(OCoLC)*", "(OCoLC)123", True),
        ("*ing*sh*", "Publishing shop", True),
        ("a*b*c", "axxbyyc", True),
        ("a*b*c", "axxcyyb", False),
        ("ab*ba", "aba", False),
        ("*", "", True),
        ("x", "xx", False),
    ],
)
def test_wildcard_values(pattern: str, value: str, expected: bool) -> None:
    rules = compile_rules(f'rule "r" when exists "500.a.{pattern}" then removeField "500" end')
    text = f"245 00 $a T\n500 __ $a {value}" if value else "245 00 $a T\n500 __ $a"
    removed = not any(line.startswith("500") for line in lines(rules.apply(record(text))))
    assert removed is expected


def test_many_wildcards_do_not_backtrack() -> None:
    rules = compile_rules(
        'rule "r" when exists "500.a.' + "a*" * 40 + 'b" then removeField "500" end'
    )
    value = "a" * 5000
    out = rules.apply(record(f"245 00 $a T\n500 __ $a {value}"))
    assert out["500"]["a"] == value
