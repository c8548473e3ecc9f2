"""Alma-style normalization rules: parse a rule file once, apply it to many pymarc records.

Example::

    rules = compile_rules('rule "no local fields" when (TRUE) then removeField "9.." end')
    published = rules.apply(record)   # a normalized copy

Modules: ``lexer`` (tokens, :class:`RuleSyntaxError`), ``paths`` (the quoted field and control
paths), ``ast`` (conditions, :class:`Rule`), ``parser``, ``actions``, ``interpreter``.
"""

from indexer.rules.interpreter import RuleSet, compile_rules, read_rule_file, rule_text
from indexer.rules.lexer import RuleSyntaxError

__all__ = ["RuleSet", "RuleSyntaxError", "compile_rules", "read_rule_file", "rule_text"]
