"""Firm-level identities: one id per client or document, whichever PMS it came from.

An entity's first source is its home: its ids are the firm's ids. A later source (the firm
replaced its PMS) keeps its own ids apart, as `source:id`, unless an identity link says that its
id names the same client or document as an earlier source's id; then it takes that firm id, and so
lands on the Xero contact and documents the earlier PMS created.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IdentityMap:
    home_source: str
    source: str
    # (dataset, source id) -> firm id, for this source, from identity links.
    links: dict[tuple[str, str], str] = field(default_factory=dict)

    def firm_id(self, dataset: str, source_id: str) -> str:
        linked = self.links.get((dataset, source_id))
        if linked is not None:
            return linked
        return firm_id_of(self.home_source, self.source, source_id)


def firm_id_of(home_source: str, source: str, source_id: str) -> str:
    return source_id if source == home_source else f"{source}:{source_id}"
