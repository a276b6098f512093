"""The console's navigation: which links the header shows to whom.

A page module adds its link with :func:`add` when it is imported (see docs/console.md);
the layout shows a link to a viewer whose role is in its ``roles`` (every signed-in role
when empty), or to visitors too when it is ``public``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from api.console.auth import Viewer
from sandbox.identity.model import Role


@dataclass(frozen=True)
class NavItem:
    """One link of the header's navigation."""

    key: str
    """Its label's message key."""
    href: str
    order: int = 100
    """Position, lowest first."""
    roles: frozenset[Role] = frozenset()
    """The roles it is shown to; empty: every signed-in account."""
    public: bool = False
    """Shown to visitors too (then ``roles`` is ignored)."""
    visitors_only: bool = False
    """Shown only to visitors (the sign-in link)."""
    count: Callable[[Request, Viewer], int] | None = None
    """A number shown beside the label when not 0 (the inbox's unread notifications)."""
    count_key: str = "nav.unread"
    """The message key of that number's label (``{count}`` filled in)."""

    def shown_to(self, viewer: Viewer) -> bool:
        """Whether the header shows this link to ``viewer``."""
        if self.visitors_only:
            return not viewer.signed_in
        if self.public:
            return True
        if viewer.role is None:
            return False
        return not self.roles or viewer.role in self.roles


_ITEMS: dict[str, NavItem] = {}


def add(item: NavItem) -> NavItem:
    """Register a link (once per key; a second registration replaces the first)."""
    _ITEMS[item.key] = item
    return item


def items_for(viewer: Viewer) -> list[NavItem]:
    """The links ``viewer`` sees, in order."""
    return sorted(
        (item for item in _ITEMS.values() if item.shown_to(viewer)),
        key=lambda item: (item.order, item.key),
    )
