"""The report of a harvest run: pages, records by outcome, rejections with reasons, errors."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harvester.profiles import MAX_REJECTIONS

logger = logging.getLogger(__name__)

COUNT_NAMES = ("new", "updated", "unchanged", "deleted", "suppressed", "ignored", "skipped")


@dataclass
class HarvestReport:
    """What a run did: pages, records by outcome, rejections with reasons, errors, duration."""

    profile: str
    run_id: int = 0
    mode: str = "full"
    status: str = "running"
    from_date: str | None = None
    response_date: str | None = None
    pages: int = 0
    cursor: int | None = None
    complete_list_size: int | None = None
    counts: Counter = field(default_factory=Counter)
    rejections: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False
    retries: int = 0

    @property
    def ok(self) -> bool:
        """Returns whether the run reached the end of its list."""
        return self.status == "done"

    @property
    def records(self) -> int:
        """Returns how many records the run received, rejected ones included."""
        return sum(self.counts.values())

    def reject(self, identifier: str, reason: str) -> None:
        """Counts a rejected record and keeps the reason (up to ``MAX_REJECTIONS``)."""
        self.counts["rejected"] += 1
        logger.warning("rejected %s: %s", identifier, reason)
        if len(self.rejections) < MAX_REJECTIONS:
            self.rejections.append([identifier, reason])

    def summary(self) -> str:
        """Returns one line: status, pages, counts, duration."""
        counts = ", ".join(f"{self.counts[n]} {n}" for n in (*COUNT_NAMES, "rejected"))
        rate = self.records / self.seconds if self.seconds else 0.0
        return (
            f"run {self.run_id} ({self.mode}{', resumed' if self.resumed else ''}): {self.status};"
            f" {self.pages} pages, {counts}; {self.seconds:.1f} s ({rate:.0f} records/s)"
        )

    def to_dict(self) -> dict[str, Any]:
        """Returns the report as a JSON-ready dict."""
        data = {k: v for k, v in self.__dict__.items() if k != "counts"}
        data["counts"] = {n: self.counts[n] for n in (*COUNT_NAMES, "rejected")}
        data["records"] = self.records
        return data


def report_from_run(run: dict[str, Any]) -> HarvestReport:
    """Returns the report of a stored run row."""
    report = HarvestReport(profile=run["profile"], run_id=run["id"], mode=run["mode"])
    report.status = run["status"]
    report.from_date = run["from_date"]
    report.response_date = run["response_date"]
    report.pages = run["pages"]
    report.cursor = run["cursor"]
    report.complete_list_size = run["complete_list_size"]
    report.counts = Counter(run["counts"])
    report.rejections = run["rejections"]
    report.errors = run["errors"]
    report.seconds = run["seconds"]
    report.resumed = run["attempts"] > 1
    return report
