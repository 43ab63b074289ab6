"""Status Type values (draft-ietf-oauth-status-list §7, §7.1; registry §14.5).

A Status List holds one value between 0 and 255 per Referenced Token (§7). Three values are
registered with a meaning; 0x03 and 0x0C-0x0F are permanently reserved as application
specific; every other value is reserved for future registration. The list itself carries the
raw number (``StatusList.status_at`` returns an ``int``), so an unregistered value is never
turned into a registered one by accident: ask ``registered_status_type`` what it means.
"""

from __future__ import annotations

from enum import IntEnum


class StatusType(IntEnum):
    """The registered Status Types (§7.1). Compare a raw status with these members."""

    VALID = 0x00
    """The Referenced Token is valid, correct or legal."""
    INVALID = 0x01
    """Revoked, annulled, taken back, recalled or cancelled (permanent)."""
    SUSPENDED = 0x02
    """Temporarily invalid; usually temporary."""


APPLICATION_SPECIFIC_STATUSES: frozenset[int] = frozenset({0x03, 0x0C, 0x0D, 0x0E, 0x0F})
"""§7.1: "0x03 and ... 0x0C until 0x0F are permanently reserved as application specific"."""


def registered_status_type(value: int) -> StatusType | None:
    """The registered Status Type for ``value``, or ``None``.

    ``None`` means the value has no meaning defined by the draft: it is application specific
    (see ``is_application_specific``) or reserved. A verifier that only knows the registry
    must treat ``None`` as "not VALID", never as VALID.
    """
    try:
        return StatusType(value)
    except ValueError:
        return None


def is_application_specific(value: int) -> bool:
    """Whether §7.1 leaves the meaning of ``value`` to the application."""
    return value in APPLICATION_SPECIFIC_STATUSES
