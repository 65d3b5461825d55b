"""Who may see and change a dataset or a run once people sign in.

With sign-in on, what a person saves or starts is theirs: others see it only once it is shared, and only its owner
changes it (renames, shares, stops, resumes, deletes). Administrators see and change everything. Anything made
while sign-in was off has no owner: everyone sees it, and only administrators change it. With sign-in off there is
no viewer, and everyone sees and changes everything, as on a machine of one's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Viewer:
    id: str  # the signed-in person's e-mail address, or the provider's subject when it gives none
    admin: bool = False


class Owned(Protocol):
    owner: str | None
    shared: bool


def can_see(viewer: Viewer | None, item: Owned) -> bool:
    return viewer is None or viewer.admin or item.owner is None or item.owner == viewer.id or item.shared


def can_change(viewer: Viewer | None, item: Owned) -> bool:
    return viewer is None or viewer.admin or (item.owner is not None and item.owner == viewer.id)


def names_any_folder(viewer: Viewer | None) -> bool:
    """Whether a person may start from any model folder on the server: anyone with sign-in off, administrators with
    it on. Others name only the folders the administrator listed (core.architectures.pretrained.refused_source)."""
    return viewer is None or viewer.admin


def require_change(viewer: Viewer | None, item: Owned, what: str, action: str) -> None:
    """Refuse (PermissionError) to `action` (a verb: 'delete', 'stop') an item the viewer may not change."""
    if can_change(viewer, item):
        return
    if item.owner is None:
        raise PermissionError(f"{what} was made before sign-in was turned on, so only an administrator can "
                              f"{action} it.")
    raise PermissionError(f"{what} belongs to {item.owner}; only they (or an administrator) can {action} it.")
