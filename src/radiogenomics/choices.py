"""String options as enums that parse forgivingly and suggest the right value on a typo.

:class:`Choice` is the base of every option enum of the package (a group test, a multiple-testing
correction, an interpolation kernel, a segmentation method, a device, a PET unit …). Subclasses list
their members and may override :meth:`Choice.kind` (the word used in messages), :meth:`Choice.aliases`
(other accepted spellings) and :meth:`Choice.normalise` (how text is folded before the lookup).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from radiogenomics.errors import UnknownNameError

__all__ = ["Choice"]


class Choice(StrEnum):
    """A :class:`~enum.StrEnum` with :meth:`parse`: case-insensitive, aliases, closest-name errors."""

    @classmethod
    def kind(cls) -> str:
        """What a member is called in messages (``"option"`` unless overridden)."""
        return "option"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        """Other accepted spellings → member value (none unless overridden)."""
        return {}

    @classmethod
    def normalise(cls, text: str) -> str:
        """Text folded for the lookup: stripped, lower case (override for another convention)."""
        return text.strip().lower()

    @classmethod
    def parse(cls, value: str | StrEnum) -> Self:
        """The member named ``value``.

        Raises
        ------
        UnknownNameError
            No member or alias matches; the message names the closest valid value and lists them all.
        """
        if isinstance(value, cls):
            return value
        key = cls.normalise(str(value))
        key = cls.aliases().get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise UnknownNameError(cls.kind(), str(value), [m.value for m in cls], cls.aliases()) from None
