"""The published representation of a record: rendered when the record or its inventory changes.

The store keeps what this module renders, one XML blob per metadata prefix, so that OAI-PMH lists stream
stored bytes. A change of the rendered bytes is a change of what is published: the store then bumps the
record's datestamp so that incremental harvesters receive it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymarc import Record

from indexer.inventory import Inventory
from indexer.marcxml import record_to_xml


@dataclass(frozen=True)
class PublishOptions:
    """What goes into the published records."""

    prefixes: tuple[str, ...] = ("marc21",)
    institution: str = "PRESSMARK"
    holdings_852: bool = False
    availability: bool = False


def render(
    record: Record, mms_id: str, inventory: Inventory, options: PublishOptions
) -> dict[str, bytes]:
    """Returns the published XML of ``record`` for each metadata prefix of ``options``."""
    return {"marc21": record_to_xml(record)}
