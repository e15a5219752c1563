"""What every resource shares: the base of the wire models, and cursor paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Page", "WireModel", "iterate"]


class WireModel(BaseModel):
    """A model of one schema of docs/openapi.json (`wire_schema`, checked by tests/unit/client/
    test_sdk_models.py: same field names, same required ones). Fields the server adds later are
    ignored, so an older SDK keeps working against a newer API."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    wire_schema: ClassVar[str]


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    """A page of a listing: its items and the cursor of the next one (None on the last)."""

    @property
    def next_cursor(self) -> str | None: ...

    def page_items(self) -> Sequence[T_co]: ...


def iterate(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of every page: `fetch(cursor)` gives a page; pages follow `next_cursor`."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.page_items()
        cursor = page.next_cursor
        if not cursor:
            return
