"""Alma-style normalization rules: parse a rule file once, apply it to many pymarc records.

Example::

    rules = compile_rules('rule "no local fields" when (TRUE) then removeField "9.." end')
    published = rules.apply(record)   # a normalized copy

Modules, each importing only those before it: ``lexer`` (tokens, :class:`RuleSyntaxError`),
``paths`` (the quoted field and control paths), ``conditions``, ``actions``, ``rule`` (a rule's
condition and actions), ``parser``, ``interpreter``. The package imports pymarc and nothing else of
Pressmark's: every other package may use it.
"""

from indexer.rules.interpreter import RuleSet, compile_rules, read_rule_file, rule_text
from indexer.rules.lexer import RuleSyntaxError

__all__ = ["RuleSet", "RuleSyntaxError", "compile_rules", "read_rule_file", "rule_text"]
