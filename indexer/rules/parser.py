"""Parser of the rule language: tokens in, :class:`~indexer.rules.rule.Rule` objects out.

Grammar (keywords, operators and action names are case-insensitive, as in Alma's examples, which
write both ``(TRUE)`` and ``(true)``, ``addSubField`` and ``addSubfield``)::

    file      := rule*
    rule      := "rule" STRING [("salience" | "priority") NUMBER]
                 "when" condition "then" action* "end"
    condition := term (("OR" | "||") term)*
    term      := factor (("AND" | "&&") factor)*
    factor    := ("not" | "!") factor | "(" condition ")" | "TRUE" | "FALSE"
               | ("exists" | "existsMoreThanOnce" | "existsControl") STRING
    action    := NAME arguments ["if" "(" condition ")"]

Ref: <https://knowledge.exlibrisgroup.com/Alma/Product_Documentation/010Alma_Online_Help_(English)/Metadata_Management/016Working_with_Rules/020Working_with_Normalization_Rules>
"""

from __future__ import annotations

from indexer.rules import actions as act
from indexer.rules.conditions import (
    And,
    Condition,
    Const,
    Exists,
    ExistsControl,
    ExistsMoreThanOnce,
    Not,
    Or,
)
from indexer.rules.lexer import RuleSyntaxError, Token, tokenize
from indexer.rules.paths import control_path, field_path
from indexer.rules.rule import Rule

#: Canonical action names by their lower-case spelling.
ACTIONS = {
    name.lower(): name
    for name in (
        "removeField",
        "removeControlField",
        "removeSubField",
        "addField",
        "addSubField",
        "addControlField",
        "changeField",
        "changeSubField",
        "changeFirstIndicator",
        "changeSecondIndicator",
        "replaceContents",
        "replaceControlContents",
        "prefix",
        "suffix",
        "correctDuplicateFields",
    )
}


class Parser:
    """A recursive-descent parser over the token list of one rule file."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        lines = text.split("\n")
        self.end_line = len(lines)
        self.end_column = len(lines[-1]) + 1

    # token helpers ---------------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def error(self, message: str, token: Token | None = None) -> RuleSyntaxError:
        token = token or self.peek()
        if token is None:
            return RuleSyntaxError(f"{message}, found the end of the file", *self._end())
        found = f"{token.value!r}" if token.kind != "string" else f'string "{token.value}"'
        return RuleSyntaxError(f"{message}, found {found}", token.line, token.column)

    def _end(self) -> tuple[int, int]:
        return self.end_line, self.end_column

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.value.lower() in words

    def expect_word(self, word: str) -> Token:
        if not self.is_word(word):
            raise self.error(f"expected '{word}'")
        return self.advance()

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token is None or token.kind != kind:
            raise self.error(f"expected {what}")
        return self.advance()

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    # grammar ---------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        found = []
        while self.peek() is not None:
            found.append(self.rule())
        return found

    def rule(self) -> Rule:
        start = self.expect_word("rule")
        name = self.expect("string", "a rule name in double quotes").value
        salience = 0
        while self.is_word("salience", "priority"):
            self.advance()
            salience = int(self.expect("number", "a whole number").value)
        self.expect_word("when")
        when = self.condition()
        self.expect_word("then")
        actions = []
        while not self.is_word("end"):
            if self.peek() is None:
                raise self.error(f"rule \"{name}\" has no 'end'")
            actions.append(self.action())
        self.advance()
        return Rule(name, salience, when, tuple(actions), start.line)

    def condition(self) -> Condition:
        operands = [self.term()]
        while self.is_word("or") or self._punct("||"):
            self.advance()
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def term(self) -> Condition:
        operands = [self.factor()]
        while self.is_word("and") or self._punct("&&"):
            self.advance()
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _punct(self, kind: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind

    def factor(self) -> Condition:
        if self.is_word("not") or self._punct("!"):
            self.advance()
            return Not(self.factor())
        if self._punct("("):
            self.advance()
            inner = self.condition()
            self.expect(")", "')'")
            return inner
        if self.is_word("true", "false"):
            return Const(self.advance().value.lower() == "true")
        if self.is_word("exists"):
            self.advance()
            return Exists(field_path(self.expect("string", "a field path in double quotes")))
        if self.is_word("existsmorethanonce"):
            self.advance()
            return ExistsMoreThanOnce(field_path(self.expect("string", "a field path")))
        if self.is_word("existscontrol"):
            self.advance()
            return ExistsControl(control_path(self.expect("string", "a control field path")))
        raise self.error("expected a condition (TRUE, exists, existsControl, not, '(')")

    def action(self) -> act.Action:
        token = self.peek()
        if token is None or token.kind != "word" or token.value.lower() not in ACTIONS:
            raise self.error("expected an action (removeField, addField, ...) or 'end'")
        self.advance()
        build = _BUILDERS[ACTIONS[token.value.lower()]]
        return build(self)

    def arrow(self, word: str) -> Token:
        """Reads ``to "..."`` or ``with "..."`` and returns the string token."""
        self.expect_word(word)
        return self.expect("string", "a value in double quotes")

    def suffix_if(self) -> Condition | None:
        if not self.is_word("if"):
            return None
        self.advance()
        self.expect("(", "'(' after 'if'")
        inner = self.condition()
        self.expect(")", "')'")
        return inner

    def string(self) -> Token:
        return self.expect("string", "a path in double quotes")


def _exact_tag(token: Token, tag: str) -> None:
    if "." in tag:
        raise RuleSyntaxError(
            f"a new field needs a tag without wildcards in {token.value!r}",
            token.line,
            token.column,
        )


def _remove_field(p: Parser) -> act.Action:
    path = field_path(p.string())
    return act.RemoveField(p.suffix_if(), path)


def _remove_control(p: Parser) -> act.Action:
    path = control_path(p.string())
    return act.RemoveControlField(p.suffix_if(), path)


def _remove_subfield(p: Parser) -> act.Action:
    path = field_path(p.string(), need_code=True)
    return act.RemoveSubField(p.suffix_if(), path)


def _add_field(p: Parser) -> act.Action:
    token = p.string()
    path = field_path(token, need_code=True, need_value=True)
    _exact_tag(token, path.tag)
    return act.AddField(p.suffix_if(), path)


def _add_subfield(p: Parser) -> act.Action:
    path = field_path(p.string(), need_code=True, need_value=True)
    return act.AddSubField(p.suffix_if(), path)


def _add_control(p: Parser) -> act.Action:
    token = p.string()
    path = control_path(token, need_value=True)
    _exact_tag(token, path.tag)
    if path.start is not None or not (path.tag.isdigit() and path.tag < "010"):
        raise RuleSyntaxError(
            f'addControlField takes "tag.value" with a tag 001-009 in {token.value!r}',
            token.line,
            token.column,
        )
    return act.AddControlField(p.suffix_if(), path)


def _change_field(p: Parser) -> act.Action:
    path = field_path(p.string(), no_value=True)
    token = p.arrow("to")
    target = field_path(token)
    _exact_tag(token, target.tag)
    if target.code is not None or (target.tag.isdigit() and target.tag < "010"):
        raise RuleSyntaxError(
            f'changeField changes to a data field tag, as "919", in {token.value!r}',
            token.line,
            token.column,
        )
    return act.ChangeField(p.suffix_if(), path, target)


def _change_subfield(p: Parser) -> act.Action:
    path = field_path(p.string(), need_code=True)
    token = p.arrow("to")
    if len(token.value) != 1:
        raise RuleSyntaxError(
            "changeSubField changes to one subfield code", token.line, token.column
        )
    return act.ChangeSubField(p.suffix_if(), path, token.value)


def _indicator(position: int):
    def build(p: Parser) -> act.Action:
        path = field_path(p.string(), no_value=True)
        token = p.arrow("to")
        value = " " if token.value in ("#", "_", "") else token.value
        if len(value) != 1:
            raise RuleSyntaxError("an indicator is one character", token.line, token.column)
        return act.ChangeIndicator(p.suffix_if(), path, position, value)

    return build


def _edit(kind: str):
    def build(p: Parser) -> act.Action:
        path = field_path(p.string(), need_code=True, need_value=kind == "replace")
        text = p.arrow("with").value
        return act.EditSubfields(p.suffix_if(), path, kind, text)

    return build


def _replace_control(p: Parser) -> act.Action:
    path = control_path(p.string(), need_value=True)
    text = p.arrow("with").value
    return act.ReplaceControlContents(p.suffix_if(), path, text)


def _duplicates(p: Parser) -> act.Action:
    paths: tuple = ()
    token = p.peek()
    if token is not None and token.kind == "string":
        p.advance()
        parts = [part.strip() for part in token.value.split(",") if part.strip()]
        paths = tuple(
            field_path(Token("string", part, token.line, token.column), no_value=True)
            for part in parts
        )
    return act.CorrectDuplicateFields(p.suffix_if(), paths)


_BUILDERS = {
    "removeField": _remove_field,
    "removeControlField": _remove_control,
    "removeSubField": _remove_subfield,
    "addField": _add_field,
    "addSubField": _add_subfield,
    "addControlField": _add_control,
    "changeField": _change_field,
    "changeSubField": _change_subfield,
    "changeFirstIndicator": _indicator(0),
    "changeSecondIndicator": _indicator(1),
    "replaceContents": _edit("replace"),
    "replaceControlContents": _replace_control,
    "prefix": _edit("prefix"),
    "suffix": _edit("suffix"),
    "correctDuplicateFields": _duplicates,
}


def parse(text: str) -> list[Rule]:
    """Returns the rules of a rule file, in file order.

    Raises:
        RuleSyntaxError: the first syntax error, with its line and column.
    """
    parser = Parser(text)
    try:
        return parser.rules()
    except RecursionError:
        token = parser.peek() or Token("end", "", *parser._end())
        raise RuleSyntaxError(
            "conditions are nested too deeply", token.line, token.column
        ) from None
