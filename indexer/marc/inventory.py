"""Inventory of a bibliographic record: holdings with items, electronic portfolios, digital representations.

Identifiers are Alma-style numbers: holdings ``22…``, items ``23…``, portfolios ``53…``, representations
``12…``, each ending in the store's institution suffix. Every change goes through the store, which
re-renders the record's published XML and bumps its datestamp when that XML changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ITEM_STATUSES = ("available", "loaned", "missing")


@dataclass(frozen=True)
class Item:
    """A physical item (barcode) of a holding."""

    item_id: str
    barcode: str
    status: str
    description: str = ""


@dataclass(frozen=True)
class Holding:
    """A holding: where the copies of a record are shelved, and under which call number."""

    holding_id: str
    library_code: str
    library_name: str = ""
    location_code: str = ""
    location_name: str = ""
    call_number: str = ""
    items: tuple[Item, ...] = ()

    @property
    def unavailable_items(self) -> int:
        """Returns the number of items that are not on the shelf."""
        return sum(1 for item in self.items if item.status != "available")


@dataclass(frozen=True)
class Portfolio:
    """An electronic portfolio: access to the resource through a collection's interface."""

    portfolio_id: str
    url: str
    collection_id: str = ""
    collection_name: str = ""
    library: str = ""
    coverage: str = ""
    interface: str = ""
    available: bool = True


@dataclass(frozen=True)
class Representation:
    """A digital representation delivered by the library's repository."""

    representation_id: str
    label: str
    url: str
    library: str = ""


@dataclass(frozen=True)
class Inventory:
    """All the inventory of one record."""

    holdings: tuple[Holding, ...] = ()
    portfolios: tuple[Portfolio, ...] = ()
    representations: tuple[Representation, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.holdings or self.portfolios or self.representations)


EMPTY = Inventory()
