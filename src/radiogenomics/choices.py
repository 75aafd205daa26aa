"""String options as enums that parse forgivingly and suggest the right value on a typo.

:class:`Choice` is the base of every option enum of the package (a group test, a multiple-testing
correction, an interpolation kernel, a segmentation method, a device, a PET unit …). A subclass lists its
members and says in its class line what a member is called in messages and which other spellings it
accepts::

    class Device(Choice, kind="device"):
        auto = "auto"
        cpu = "cpu"

    class GroupTest(Choice, kind="group test", aliases={"ttest": "t"}):
        ...

:meth:`Choice.parse` matches case-insensitively, after stripping white space and applying the aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from radiogenomics.errors import UnknownNameError

__all__ = ["Choice"]


class Choice(StrEnum):
    """A :class:`~enum.StrEnum` with :meth:`parse`: case-insensitive, aliases, closest-name errors."""

    def __init_subclass__(cls, *, kind: str = "option", aliases: Mapping[str, str] | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._choice_kind = kind
        cls._choice_aliases = {k.lower(): v for k, v in (aliases or {}).items()}

    @classmethod
    def kind(cls) -> str:
        """What a member is called in messages (``kind=`` of the class line; ``"option"`` by default)."""
        return getattr(cls, "_choice_kind", "option")

    @classmethod
    def aliases(cls) -> dict[str, str]:
        """Other accepted spellings → member value (``aliases=`` of the class line)."""
        return dict(getattr(cls, "_choice_aliases", {}))

    @classmethod
    def parse(cls, value: str | StrEnum) -> Self:
        """The member named ``value`` (case-insensitive, white space stripped, aliases applied).

        Raises
        ------
        UnknownNameError
            No member or alias matches; the message names the closest valid value and lists them all.
        """
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        text = cls.aliases().get(text, text).lower()
        for member in cls:
            if member.value.lower() == text:
                return member
        raise UnknownNameError(cls.kind(), str(value), [m.value for m in cls], cls.aliases())
