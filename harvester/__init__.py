"""Remote OAI-PMH repositories into the record store; knows Sickle (in ``client.py`` only), never Flask.

Data flow::

    remote OAI-PMH -> client (strict pages) -> harvest (profile: normalize, match, merge)
                   -> indexer.store.records.put (new datestamp, published XML) -> OAI-PMH / SRU

Modules: ``client`` (the strict client), ``harvest`` (runs and their reports), ``profiles`` (import
profiles, run history, checkpoints, locks), ``merge`` (merge policies), ``crosswalk`` (oai_dc to
MARC), ``normalize`` (the normalization-rules hook), ``pages`` (parsing one response), ``records``
(storing one harvested record), ``report`` and ``runs`` (run history and locks).

It may import ``indexer.marc``, ``indexer.store`` and ``indexer.rules``; only ``app.cli`` and
``app.staff`` import it.
"""

from harvester.client import ClientOptions, HarvestError, OAIClient, ProtocolError
from harvester.harvest import HarvestReport, harvest
from harvester.profiles import LockedError, Profile, ProfileError, Profiles

__all__ = [
    "ClientOptions",
    "HarvestError",
    "HarvestReport",
    "LockedError",
    "OAIClient",
    "Profile",
    "ProfileError",
    "Profiles",
    "ProtocolError",
    "harvest",
]
