"""XCQL of SRU 1.1 and 1.2: the echoed ``xQuery`` of a searchRetrieve response.

The SRU 1.x response schema (srw-types.xsd) makes ``xQuery`` mandatory in
``echoedSearchRetrieveRequest``, right after ``query``. Its type is ``xcql:operandType`` of
xcql.xsd: a ``triple`` (boolean, leftOperand, rightOperand) or a ``searchClause`` (index, relation,
term), each relation or boolean with optional modifiers.

Ref: <https://www.loc.gov/standards/sru/xml-files/xcql.xsd>
"""

from __future__ import annotations

from cql.parser import CQLSearchClause, CQLTriple
from lxml import etree

from indexer.marc.marcxml import clean_text

SRW_NS = "http://www.loc.gov/zing/srw/"
XCQL_NS = "http://www.loc.gov/zing/cql/xcql/"


def x_query(tree: CQLSearchClause | CQLTriple | None) -> str:
    """Returns the serialized ``srw:xQuery`` element of a parsed CQL query (cql-parser's root
    node; empty without one, which the schema allows)."""
    root = etree.Element(f"{{{SRW_NS}}}xQuery", nsmap={"srw": SRW_NS, "xcql": XCQL_NS})
    if tree is not None:
        _operand(root, tree)
    return etree.tostring(root, encoding="unicode")


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{XCQL_NS}}}{tag}")
    if text is not None:
        el.text = clean_text(text)
    return el


def _operand(parent: etree._Element, node) -> None:
    if isinstance(node, CQLTriple):
        triple = _add(parent, "triple")
        boolean = _add(triple, "boolean")
        _add(boolean, "value", str(node.operator.value).lower())
        _modifiers(boolean, node.operator.modifiers)
        _operand(_add(triple, "leftOperand"), node.left)
        _operand(_add(triple, "rightOperand"), node.right)
    elif isinstance(node, CQLSearchClause):
        clause = _add(parent, "searchClause")
        if node.index is None or node.relation is None:  # a bare term: cql.serverChoice =
            _add(clause, "index", "cql.serverChoice")
            _add(_add(clause, "relation"), "value", "=")
        else:
            _add(clause, "index", str(node.index))
            relation = _add(clause, "relation")
            _add(relation, "value", str(node.relation.comparitor))
            _modifiers(relation, node.relation.modifiers)
        _add(clause, "term", node.term)


def _modifiers(parent: etree._Element, modifiers) -> None:
    if not modifiers:
        return
    holder = _add(parent, "modifiers")
    for modifier in modifiers:
        el = _add(holder, "modifier")
        _add(el, "type", str(modifier.name))
        if modifier.comparitor is not None and modifier.value is not None:
            _add(el, "comparison", str(modifier.comparitor))
            _add(el, "value", str(modifier.value))
