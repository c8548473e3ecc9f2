"""Running a rule file over records: :func:`compile_rules` and :class:`RuleSet`.

Rules run one after the other, by salience (``salience`` and ``priority`` are synonyms: the higher
runs first; rules of equal salience run in file order; the default is 0). A rule's ``when``
condition is tested when its turn comes, on the record as the earlier rules left it; its actions
then run in order, each on the result of the one before.
"""

from __future__ import annotations

import copy
import errno
import re
from dataclasses import dataclass
from pathlib import Path

from pymarc import Record

from indexer.rules.actions import Work
from indexer.rules.parser import parse
from indexer.rules.rule import Rule


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file, ready to apply."""

    rules: tuple[Rule, ...]
    source: str = ""

    def apply(self, record: Record) -> Record:
        """Returns a normalized copy of ``record`` (the record itself is left unchanged)."""
        work_record = copy.copy(record)
        work_record.fields = list(record.fields)
        work_record.leader = copy.copy(record.leader)
        work = Work(work_record)
        for rule in self.rules:
            if rule.when.test(work_record):
                for action in rule.actions:
                    action.run(work)
        return work_record

    def __len__(self) -> int:
        return len(self.rules)


def compile_rules(text: str) -> RuleSet:
    """Parses and validates a rule file; returns its rules ordered by salience.

    Raises:
        RuleSyntaxError: the first syntax error, with its line and column.
    """
    rules = parse(text)
    ordered = sorted(enumerate(rules), key=lambda pair: (-pair[1].salience, pair[0]))
    return RuleSet(tuple(rule for _, rule in ordered), text)


_RULE_START = re.compile(r'\s*rule\s*"', re.IGNORECASE)


def rule_text(source: str) -> str:
    """Returns the rules that a setting names: the rules text itself, or, when ``source`` is one
    line that does not start a rule (``rule "``), the text of the rule file at that path (which
    may be ``rules/local.rules``).

    Raises:
        OSError: the rule file cannot be read, or is not UTF-8 text (``EILSEQ``).
    """
    if "\n" in source or _RULE_START.match(source):
        return source
    return read_rule_file(source)


def read_rule_file(path: str | Path) -> str:
    """Returns the text of a rule file.

    Raises:
        OSError: the file cannot be read, or is not UTF-8 text (``EILSEQ``, with the byte offset).
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OSError(errno.EILSEQ, f"not UTF-8 text (byte {exc.start})", str(path)) from exc
