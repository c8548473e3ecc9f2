"""Normalization rules: syntax errors name the line and column of the problem."""

from __future__ import annotations

import pytest

from indexer.rules import RuleSyntaxError, compile_rules, rule_text

ERRORS = [
    pytest.param(
        'rule "a" when TRUE then frobnicate "245" end',
        1,
        25,
        "expected an action",
        id="unknown-action",
    ),
    pytest.param(
        'rule "a"\nwhen TRUE\nthen\n  removeField "245"\n', 5, 1, "no 'end'", id="missing-end"
    ),
    pytest.param(
        'rule "a" when TRUE then removeField "24" end', 1, 37, "three-character tag", id="short-tag"
    ),
    pytest.param(
        'rule "a" when TRUE then removeField "245" end\nrule b',
        2,
        6,
        "rule name",
        id="unquoted-name",
    ),
    pytest.param(
        'rule "a"\n  when (TRUE\n  then removeField "245" end',
        3,
        3,
        "expected ')'",
        id="unclosed-paren",
    ),
    pytest.param(
        'rule "a" when TRUE then removeField "245 end',
        1,
        37,
        "unterminated string",
        id="open-string",
    ),
    pytest.param(
        'rule "a" when TRUE then addField "245.a" end',
        1,
        34,
        "a value is needed",
        id="addField-no-value",
    ),
    pytest.param(
        'rule "a" when TRUE then addField "9...a.x" end',
        1,
        34,
        "without wildcards",
        id="addField-wildcard",
    ),
    pytest.param(
        'rule "a" when existsControl "008.{x,4}.2010" then end',
        1,
        29,
        "position",
        id="bad-position",
    ),
    pytest.param(
        'rule "a" when TRUE then changeField "519" "919" end',
        1,
        43,
        "expected 'to'",
        id="changeField-no-to",
    ),
    pytest.param(
        'rule "a" when TRUE then changeSubField "245.a" to "bc" end',
        1,
        51,
        "one subfield code",
        id="two-codes",
    ),
    pytest.param(
        'rule "a" salience high when TRUE then end', 1, 19, "whole number", id="salience-word"
    ),
    pytest.param('rule "a" when maybe then end', 1, 15, "expected a condition", id="bad-condition"),
    pytest.param(
        'rule "a" when TRUE then removeField "245" if exists "245" end',
        1,
        46,
        "'(' after 'if'",
        id="if-no-paren",
    ),
    pytest.param(
        'rule "a" when TRUE then prefix "245.a" with "\\q" end',
        1,
        46,
        "unknown escape",
        id="bad-escape",
    ),
    pytest.param(
        'rule "a" when TRUE then removeField "245" end\n  @',
        2,
        3,
        "unexpected character",
        id="stray-char",
    ),
    pytest.param(
        'rule "a" when TRUE then removeField "245.{1}" end', 1, 37, "two values", id="one-indicator"
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), ERRORS)
def test_syntax_error_has_line_and_column(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rules(text)
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_empty_file_is_an_empty_rule_set() -> None:
    assert len(compile_rules("# nothing yet\n")) == 0


def test_keywords_and_action_names_are_case_insensitive() -> None:
    rules = compile_rules('RULE "a" WHEN true THEN addSubfield "245.x.y" END')
    assert len(rules) == 1


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    text = 'rule "a" when ' + "(" * 5000 + "TRUE" + ")" * 5000 + " then end"
    with pytest.raises(RuleSyntaxError, match="nested too deeply"):
        compile_rules(text)


def test_a_setting_is_rules_text_or_the_path_of_a_rule_file(tmp_path, monkeypatch) -> None:
    text = 'RULE "a" WHEN true THEN removeField "500" END'
    assert rule_text(text) == text
    assert rule_text('rule "a"\nwhen true then end') == 'rule "a"\nwhen true then end'
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "local.rules").write_text(text, encoding="utf-8")
    assert rule_text("rules/local.rules") == text  # a path that starts with the keyword
    (tmp_path / "rules" / "latin1.rules").write_bytes('rule "\xe9"'.encode("latin-1"))
    with pytest.raises(OSError, match=r"not UTF-8 text \(byte 6\)"):
        rule_text("rules/latin1.rules")
