"""Publishing enrichment as Alma's general publishing profile adds it: 852 holdings, AVA/AVE/AVD.

Subfields (empty values are omitted):

- ``852`` (one per holding): $b library code, $c location code (the location name when the holding
  has no code), $h call number.
- ``AVA`` (physical availability, one per holding): $a institution, $b library code, $c location
  name, $d call number, $e ``available`` / ``unavailable`` / ``check_holdings`` (the last when the
  holding has no items), $f total items, $g unavailable items ($f and $g only when there are items),
  $j location code, $q library name, $8 holdings id, $0 record id (MMS ID).
- ``AVE`` (electronic availability, one per portfolio): $8 portfolio id, $c collection id,
  $m collection name, $l library, $s coverage, $t interface, $e ``Available`` / ``Not Available``,
  $u link.
- ``AVD`` (digital availability, one per representation; Alma fixes no layout, so Pressmark uses):
  $b representation id, $d label, $u delivery URL, $l library, $0 record id (MMS ID).

Ref: <https://developers.exlibrisgroup.com/alma/integrations/discovery/fields/>
"""

from __future__ import annotations

from pymarc import Field, Indicators, Subfield

from indexer.marc.inventory import Holding, Inventory

BLANK = Indicators(" ", " ")


def _field(tag: str, pairs: list[tuple[str, str]]) -> Field:
    """Returns a data field of the (code, value) pairs whose value is not empty."""
    return Field(
        tag=tag,
        indicators=BLANK,
        subfields=[Subfield(code=code, value=value) for code, value in pairs if value],
    )


def availability_status(holding: Holding) -> str:
    """Returns AVA $e of a holding: ``available``, ``unavailable`` or ``check_holdings``."""
    if not holding.items:
        return "check_holdings"
    return "available" if holding.unavailable_items < len(holding.items) else "unavailable"


def availability_fields(mms_id: str, inventory: Inventory, institution: str) -> list[Field]:
    """Returns the AVA, AVE and AVD fields of a record's inventory, in that order."""
    fields = []
    for holding in inventory.holdings:
        total = len(holding.items)
        fields.append(
            _field(
                "AVA",
                [
                    ("a", institution),
                    ("b", holding.library_code),
                    ("c", holding.location_name),
                    ("d", holding.call_number),
                    ("e", availability_status(holding)),
                    ("f", str(total) if total else ""),
                    ("g", str(holding.unavailable_items) if total else ""),
                    ("j", holding.location_code),
                    ("q", holding.library_name),
                    ("8", holding.holding_id),
                    ("0", mms_id),
                ],
            )
        )
    for portfolio in inventory.portfolios:
        fields.append(
            _field(
                "AVE",
                [
                    ("8", portfolio.portfolio_id),
                    ("c", portfolio.collection_id),
                    ("m", portfolio.collection_name),
                    ("l", portfolio.library),
                    ("s", portfolio.coverage),
                    ("t", portfolio.interface),
                    ("e", "Available" if portfolio.available else "Not Available"),
                    ("u", portfolio.url),
                ],
            )
        )
    for representation in inventory.representations:
        fields.append(
            _field(
                "AVD",
                [
                    ("b", representation.representation_id),
                    ("d", representation.label),
                    ("u", representation.url),
                    ("l", representation.library),
                    ("0", mms_id),
                ],
            )
        )
    return fields


def holdings_852(inventory: Inventory) -> list[Field]:
    """Returns one 852 per holding ($b library, $c location, $h call number)."""
    return [
        _field(
            "852",
            [
                ("b", holding.library_code),
                ("c", holding.location_code or holding.location_name),
                ("h", holding.call_number),
            ],
        )
        for holding in inventory.holdings
    ]
