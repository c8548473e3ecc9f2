"""CQL to Whoosh: parse with ``cql-parser``, then build Whoosh query objects in code.

User text never reaches Whoosh's query parser: each search clause becomes ``Term``, ``Phrase``,
``Wildcard``, ``NumericRange``... built here. What cannot be translated raises :class:`QueryError`
with the SRU diagnostic number (the app renders it).

Ref: <https://www.loc.gov/standards/sru/cql/spec.html> (CQL 1.2)
"""

from __future__ import annotations

import functools
import queue
import re
from dataclasses import dataclass, field

import cql
from cql.lexer import CQLLexer, CQLLexerError
from cql.parser import CQLParser12, CQLParserError, CQLSearchClause, CQLTriple
from whoosh import query as wq
from whoosh.query.spans import SpanNear2

from indexer.search.fields import (
    ALL_RECORDS,
    COMBINED,
    CONTEXT_SETS,
    FIELD_BY_NAME,
    INDEX_FIELD,
    KEYWORD,
    LOCAL_PREFIX,
    NUMBER,
    TEXT,
    fold,
    index_names,
    keyword,
    standard_number,
)
from indexer.search.searching import ColumnRange

EXACT = "__exact"
#: Relations each kind of index supports (``exact`` is CQL 1.1's ``==``).
RELATIONS = {
    TEXT: ("=", "==", "<>", "adj", "all", "any", "<", "<=", ">", ">="),
    KEYWORD: ("=", "==", "<>", "adj", "all", "any", "<", "<=", ">", ">=", "within"),
    NUMBER: ("=", "==", "<>", "any", "<", "<=", ">", ">=", "within"),
}
WORDS_ONLY = ("=", "<>", "adj", "all", "any")
"""Relations of the word-only indexes (``all_for_ui``, local fields): no whole values to compare."""
#: Relation modifiers accepted (and what they change: nothing but ``masked``/``unmasked``).
RELATION_MODIFIERS = (
    "relevant",
    "ignorecase",
    "ignoreaccents",
    "masked",
    "unmasked",
    "string",
    "word",
)
SORT_COLUMNS = {
    "title": "title_sort",
    "creator": "creator_sort",
    "main_pub_date": "main_pub_date",
    "mms_id": "id",
}
#: Sort modifiers accepted: every sort ignores case, and a record without a value sorts as the
#: highest value (so last when ascending, first when descending).
SORT_MODIFIERS = ("sort.ascending", "sort.descending", "sort.ignorecase", "sort.missinghigh")
_STAR, _QMARK = "\x01", "\x02"
_TOKEN = re.compile(r"[\w\x01\x02]+", re.UNICODE)
_NUMBER = re.compile(r"-?\d+\Z")
MAX_TERMS = 64


class QueryError(Exception):
    """A query that cannot be run, with its SRU diagnostic number and details.

    Ref: <https://www.loc.gov/standards/sru/diagnostics/diagnosticsList.html>
    """

    def __init__(self, number: int, details: str = "") -> None:
        super().__init__(f"diagnostic {number}: {details}")
        self.number = number
        self.details = details


@dataclass
class Translated:
    """A translated query: the Whoosh query, the sort keys ``(column, reverse)``, and the parsed CQL
    it came from (cql-parser's root node, for an XCQL echo)."""

    query: wq.Query
    sort: list[tuple[str, bool]] = field(default_factory=list)
    tree: CQLSearchClause | CQLTriple | None = None


# parsing ------------------------------------------------------------------------------------------

# cql-parser's parser keeps state while parsing, so no two requests may share one; building one
# costs milliseconds, so finished parsers go back to a pool, each used by one request at a time
_parsers: queue.SimpleQueue = queue.SimpleQueue()


def _take_parser() -> CQLParser12:
    try:
        return _parsers.get_nowait()
    except queue.Empty:
        lexer = CQLLexer()
        lexer.build()
        parser = CQLParser12()
        parser.build(lexer)
        return parser


def parse(text: str) -> cql.CQLQuery:
    """Parses a CQL 1.2 query.

    Raises:
        QueryError: 10 (syntax error) or 27 (empty query).
    """
    if not text or not text.strip():
        raise QueryError(27, "empty query")
    parser = _take_parser()
    try:
        parsed = parser.parse(text, tracking=True)
    except (CQLParserError, CQLLexerError) as exc:
        raise QueryError(10, str(exc.args[0]) if exc.args else "syntax error") from exc
    except Exception as exc:  # the vendored ply raises odd errors on odd input
        raise QueryError(10, "cannot parse the query") from exc
    finally:
        _parsers.put(parser)
    if parsed is None or not hasattr(parsed, "root"):
        raise QueryError(10, "cannot parse the query")
    return parsed


# translating --------------------------------------------------------------------------------------


def translate(text: str, local_tags: list[str] | tuple[str, ...] = ()) -> Translated:
    """Returns the Whoosh query and sort keys of a CQL query.

    Raises:
        QueryError: with the SRU diagnostic of what cannot be translated.
    """
    try:
        parsed = parse(text)
        translator = _Translator(_indexes(tuple(local_tags)))
        result = Translated(translator.node(parsed.root, {}))
    except RecursionError as exc:
        raise QueryError(38, "the query is nested too deeply") from exc
    result.sort = translator.sort_keys(parsed.root)
    result.tree = parsed.root
    return result


def sort_column(name: str) -> str | None:
    """Returns the column that sorts by a CQL index name (default context sets), or None."""
    try:
        target = _Translator(_indexes(())).resolve(name, {})
    except QueryError:
        return None
    return SORT_COLUMNS.get(target)


@functools.lru_cache(maxsize=16)
def _indexes(local_tags: tuple[str, ...]) -> dict[str, str]:
    """Returns lower-cased CQL index name -> search field (the same for every query of an index)."""
    return {name.lower(): target for name, target in index_names(local_tags)}


_SETS = {uri: prefix for prefix, uri in CONTEXT_SETS.items()}


class _Translator:
    def __init__(self, indexes: dict[str, str]) -> None:
        self.indexes = indexes  # shared by every query: read only
        self.sets = _SETS
        self.scope: dict[str, str] = {}

    def node(self, node, scope: dict[str, str]) -> wq.Query:
        if getattr(node, "prefixes", None):
            scope = dict(scope)
            for prefix in node.prefixes:
                scope[(prefix.prefix or "").lower()] = prefix.uri
        self.scope = scope
        if isinstance(node, CQLTriple):
            return self.boolean(node, scope)
        if isinstance(node, CQLSearchClause):
            return self.clause(node, scope)
        raise QueryError(47, f"unexpected node {type(node).__name__}")

    # booleans --------------------------------------------------------------------------------

    def boolean(self, node: CQLTriple, scope: dict[str, str]) -> wq.Query:
        operator = node.operator.value.lower()
        modifiers = node.operator.modifiers or []
        left = self.node(node.left, scope)
        right = self.node(node.right, scope)
        if operator == "prox":
            return self.prox(left, right, modifiers)
        if modifiers:
            raise QueryError(46, str(modifiers[0]))
        if operator == "and":
            return wq.And([left, right])
        if operator == "or":
            return wq.Or([left, right])
        if operator == "not":
            return wq.AndNot(left, right)
        raise QueryError(37, operator)

    def prox(self, left: wq.Query, right: wq.Query, modifiers) -> wq.Query:
        distance, ordered, relation = 1, False, "<="
        for modifier in modifiers:
            name = str(modifier.name).lower().removeprefix("prox.")
            value = (modifier.value or "").lower()
            if name == "unit":
                if value != "word":
                    raise QueryError(42, value)
            elif name == "distance":
                relation = modifier.comparitor or "<="
                if relation not in ("=", "<", "<="):
                    raise QueryError(40, relation)
                if not value.isdigit():
                    raise QueryError(41, value)
                distance = int(value) - (1 if relation == "<" else 0)
                if distance < 0:
                    raise QueryError(41, value)
            elif name in ("ordered", "unordered"):
                ordered = name == "ordered"
            else:
                raise QueryError(46, name)
        fields = {_field_of(left), _field_of(right)}
        if None in fields or len(fields) != 1:
            raise QueryError(39, "proximity needs two word or phrase clauses on the same index")
        mindist = distance if relation == "=" else 1
        return SpanNear2([left, right], slop=max(distance, 1), ordered=ordered, mindist=mindist)

    # search clauses --------------------------------------------------------------------------

    def clause(self, node: CQLSearchClause, scope: dict[str, str]) -> wq.Query:
        if node.index is None:
            name, relation, modifiers = "cql.serverChoice", "=", []
        else:
            name = str(node.index)
            relation = str(node.relation.comparitor).lower().removeprefix("cql.")
            modifiers = node.relation.modifiers or []
        target = self.resolve(name, scope)
        if target == ALL_RECORDS:
            return wq.Every()
        if relation == "exact":
            relation = "=="
        masked = True
        for modifier in modifiers:
            mname = str(modifier.name).lower().removeprefix("cql.")
            if mname not in RELATION_MODIFIERS or modifier.value is not None:
                raise QueryError(20, str(modifier))
            if mname == "unmasked":
                masked = False
        kind = _kind(target)
        if relation not in relations_of(target):
            raise QueryError(19, f"{relation} on {name}")
        term = node.term
        if relation == "<>":
            return wq.And([wq.Every(), wq.Not(self.match(target, kind, "=", term, masked))])
        return self.match(target, kind, relation, term, masked)

    def resolve(self, name: str, scope: dict[str, str]) -> str:
        """Returns the search field (or ``cql.allRecords``) of a CQL index name."""
        if "." in name:
            prefix, base = name.split(".", 1)
            uri = scope.get(prefix.lower()) or CONTEXT_SETS.get(prefix.lower())
            if uri is None or uri not in self.sets:
                raise QueryError(15, prefix)
            sets = [self.sets[uri]]
        else:
            base = name
            default = scope.get("")
            if default is not None and default not in self.sets:
                raise QueryError(15, default)
            sets = [self.sets[default]] if default else ["alma", "dc", "cql", "rec"]
        for set_name in sets:
            full = f"{set_name}.{base}".lower()
            if full == ALL_RECORDS.lower():
                return ALL_RECORDS
            if full in self.indexes:
                return self.indexes[full]
        raise QueryError(16, name)

    def match(self, target: str, kind: str, relation: str, term: str, masked: bool) -> wq.Query:
        if kind == NUMBER:
            return _number(target, relation, term)
        if kind == KEYWORD:
            return _keyword(target, relation, term, masked)
        return _text(target, relation, term, masked)

    # sorting ---------------------------------------------------------------------------------

    def sort_keys(self, root) -> list[tuple[str, bool]]:
        keys = []
        for spec in getattr(root, "sortSpecs", None) or []:
            target = self.resolve(str(spec.index), self.scope)
            column = SORT_COLUMNS.get(target)
            if column is None:
                raise QueryError(80, f"{spec.index} cannot be sorted")
            reverse = False
            for modifier in spec.modifiers or []:
                mname = str(modifier.name).lower()
                if mname == "sort.respectcase":
                    raise QueryError(91, mname)
                if mname.startswith("sort.missing") and mname != "sort.missinghigh":
                    raise QueryError(92, mname)
                if mname not in SORT_MODIFIERS:
                    raise QueryError(80, f"sort modifier {modifier.name}")
                reverse = mname == "sort.descending"
            keys.append((column, reverse))
        return keys


def relations_of(target: str) -> tuple[str, ...]:
    """Returns the relations a search field supports."""
    if target in COMBINED or target.startswith(LOCAL_PREFIX):
        return WORDS_ONLY
    return RELATIONS[FIELD_BY_NAME[target].kind]


def _kind(target: str) -> str:
    if target in COMBINED or target.startswith(LOCAL_PREFIX):
        return TEXT
    return FIELD_BY_NAME[target].kind


def _field_of(q: wq.Query) -> str | None:
    if isinstance(q, (wq.Term, wq.Phrase)):
        return q.fieldname
    return None


# terms ------------------------------------------------------------------------------------------


@dataclass
class _Term:
    text: str  # with _STAR / _QMARK for unescaped masks, escaped characters as themselves
    start: bool = False
    end: bool = False

    @property
    def masked(self) -> bool:
        return _STAR in self.text or _QMARK in self.text


def _scan(term: str, masked: bool) -> _Term:
    """Reads masks, anchors and escapes.

    Raises:
        QueryError: 32 for ``^`` inside a term.
    """
    out: list[str] = []
    start = end = False
    i, n = 0, len(term)
    while i < n:
        char = term[i]
        if char == "\\" and i + 1 < n:
            out.append(term[i + 1])
            i += 2
            continue
        if char == "^":
            if i == 0:
                start = True
            elif i == n - 1:
                end = True
            else:
                raise QueryError(32, term)
        elif char == "*" and masked:
            out.append(_STAR)
        elif char == "?" and masked:
            out.append(_QMARK)
        else:
            out.append(char)
        i += 1
    text = "".join(out)
    if text.count(_STAR) + text.count(_QMARK) > MAX_MASKS:
        raise QueryError(30, f"more than {MAX_MASKS} masking characters")
    return _Term(text, start, end)


MAX_MASKS = 8
"""Masking characters allowed in one term (each one widens the term expansion)."""


def _pattern(token: str) -> str:
    """Returns a Whoosh wildcard pattern of a token (literal ``*?`` never reach it: not \\w)."""
    return token.replace(_STAR, "*").replace(_QMARK, "?")


def _tokens(text: str) -> list[str]:
    tokens = _TOKEN.findall(fold(text))
    if len(tokens) > MAX_TERMS:
        raise QueryError(38, f"more than {MAX_TERMS} words")
    return tokens


def _word(fieldname: str, token: str) -> wq.Query:
    if _STAR in token or _QMARK in token:
        if not token.strip(_STAR + _QMARK):
            return wq.Every()
        return wq.Wildcard(fieldname, _pattern(token))
    return wq.Term(fieldname, token)


def _adjacent(fieldname: str, tokens: list[str]) -> wq.Query:
    if len(tokens) == 1:
        return _word(fieldname, tokens[0])
    if any(_STAR in t or _QMARK in t for t in tokens):
        return wq.Sequence([_word(fieldname, t) for t in tokens])
    return wq.Phrase(fieldname, tokens)


def _text(target: str, relation: str, term: str, masked: bool) -> wq.Query:
    scanned = _scan(term, masked)
    tokens = _tokens(scanned.text)
    if not tokens:
        raise QueryError(27, "the term has no words")
    anchored = scanned.start or scanned.end
    if relation in ("==", "<", "<=", ">", ">=") or (anchored and relation in ("=", "adj")):
        if target in COMBINED or target.startswith(LOCAL_PREFIX):
            if anchored:
                raise QueryError(31, f"anchors on {target}")
            raise QueryError(19, f"{relation} on {target}")
        return _whole(target + EXACT, relation, tokens, scanned)
    if anchored:
        raise QueryError(32, term)
    if relation == "any":
        queries = [_word(target, t) for t in tokens]
        return queries[0] if len(queries) == 1 else wq.Or(queries)
    if relation == "all":
        queries = [_word(target, t) for t in tokens]
        return queries[0] if len(queries) == 1 else wq.And(queries)
    return _adjacent(target, tokens)  # "=" and "adj" (all_for_ui is one index field)


def _whole(fieldname: str, relation: str, tokens: list[str], scanned: _Term) -> wq.Query:
    """Matches whole values: ``==``, anchors (``^`` first, last, or both) and ordering relations."""
    value = " ".join(tokens)
    if relation in ("<", "<=", ">", ">="):
        if scanned.masked:
            raise QueryError(28, "masking in an ordering relation")
        return _range(fieldname, relation, value)
    pattern = _pattern(value)
    if relation != "==":
        if not scanned.start:
            pattern = "*" + pattern
        if not scanned.end:
            pattern = pattern + "*"
    if "*" in pattern or "?" in pattern:
        return wq.Wildcard(fieldname, pattern)
    return wq.Term(fieldname, value)


def _range(fieldname: str, relation: str, value: str) -> wq.Query:
    if relation in ("<", "<="):
        return wq.TermRange(fieldname, None, value, endexcl=relation == "<")
    return wq.TermRange(fieldname, value, None, startexcl=relation == ">")


def _keyword(target: str, relation: str, term: str, masked: bool) -> wq.Query:
    scanned = _scan(term, masked)
    normalize = standard_number if target in ("isbn", "issn") else None
    target = INDEX_FIELD.get(target, target)

    def one(value: str) -> str:
        if normalize is not None and not (_STAR in value or _QMARK in value):
            return normalize(value) or keyword(value)
        return keyword(value)

    if relation == "within":
        parts = scanned.text.split()
        if len(parts) != 2:
            raise QueryError(36, "within needs two values")
        return wq.TermRange(target, one(parts[0]), one(parts[1]))
    if relation in ("<", "<=", ">", ">="):
        return _range(target, relation, one(scanned.text))
    values = (
        [one(v) for v in scanned.text.split()]
        if relation in ("any", "all")
        else [one(scanned.text)]
    )
    values = [v for v in values if v]
    if not values:
        raise QueryError(27, "empty term")
    queries = []
    for value in values:
        if _STAR in value or _QMARK in value:
            if not value.strip(_STAR + _QMARK):
                queries.append(wq.Every())
            else:
                queries.append(wq.Wildcard(target, _pattern(value)))
        else:
            queries.append(wq.Term(target, value))
    if len(queries) == 1:
        return queries[0]
    return wq.And(queries) if relation == "all" else wq.Or(queries)


def _number(target: str, relation: str, term: str) -> wq.Query:
    parts = term.split()
    if not parts or not all(_NUMBER.match(p) for p in parts):
        if "*" in term or "?" in term:
            raise QueryError(28, f"masking on {target}")
        raise QueryError(36, f"{term!r} is not a number")
    numbers = [int(p) for p in parts]
    if relation == "within":
        if len(numbers) != 2:
            raise QueryError(36, "within needs two numbers")
        return ColumnRange(target, min(numbers), max(numbers))
    if relation == "any":
        return wq.Or([ColumnRange(target, n, n) for n in numbers])
    if len(numbers) != 1:
        raise QueryError(36, f"{relation} needs one number")
    n = numbers[0]
    if relation in ("=", "=="):
        return ColumnRange(target, n, n)
    if relation in ("<", "<="):
        return ColumnRange(target, None, n - 1 if relation == "<" else n)
    return ColumnRange(target, n + 1 if relation == ">" else n, None)
