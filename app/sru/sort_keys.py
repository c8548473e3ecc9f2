"""The ``sortKeys`` parameter of SRU 1.1 (and 2.0): sorting without a CQL ``sortBy`` clause.

Each key is ``path,schema,ascending,caseSensitive,missingValue``, keys separated by spaces; only
``path`` is required (``title``, ``title,,0``). Pressmark sorts by indexes, so ``path`` is a CQL index
name with a sort column, as in ``sortBy`` (``dc.title``, ``alma.main_pub_date``, ``title``); an XPath
is refused. Sorting ignores case, and a record without a value sorts as the highest value
(``highValue``, the parameter's default).

Ref: <https://www.loc.gov/standards/sru/sru-1-1.html> (sortKeys),
<https://www.loc.gov/standards/sru/diagnostics/diagnosticsList.html> (80-93)
"""

from __future__ import annotations

from app.sru.diagnostics import Diagnostic, SRUDiagnostic
from app.sru.records import schema_key
from indexer.search.cql import sort_column


def parse_sort_keys(value: str) -> list[tuple[str, bool]]:
    """Returns the sort keys ``(column, reverse)`` of a ``sortKeys`` value (empty: none).

    Raises:
        SRUDiagnostic: 80 malformed key, 85 a key twice, 87 unknown schema,
            88 a path that is not a sortable index, 90/91/92 unsupported direction, case or
            missing-value action.
    """
    keys: list[tuple[str, bool]] = []
    for key in value.split():
        parts = key.split(",")
        if len(parts) > 5 or not parts[0]:
            raise SRUDiagnostic(Diagnostic.SORT_NOT_SUPPORTED, f"malformed sort key {key}")
        path, schema, ascending, case, missing = parts + [""] * (5 - len(parts))
        if schema and schema_key(schema) is None:
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_SCHEMA_FOR_SORT, schema)
        column = sort_column(path)
        if column is None:
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_PATH_FOR_SORT, path)
        if ascending not in ("", "0", "1"):
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_DIRECTION, ascending)
        if case not in ("", "0"):
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_CASE, case)
        if missing not in ("", "highValue"):
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_MISSING_VALUE_ACTION, missing)
        if any(column == other for other, _ in keys):
            raise SRUDiagnostic(Diagnostic.DUPLICATE_SORT_KEYS, path)
        keys.append((column, ascending == "0"))
    return keys
