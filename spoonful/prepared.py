"""Hot read queries, built and compiled by the ORM once per shape, then run with new values.

On the pages every member opens most, building a query's filters and compiling them to SQL
costs more than the database takes to answer: the discussion page's lookup under the
visibility rule is over 3 KB of SQL from a tree of subqueries, and it was rebuilt on every
request. A ``PreparedQuery`` keeps what the ORM compiled for one *shape* (the builder's
positional arguments, those that change the SQL's text, such as which communities a member
belongs to) and on each call runs that same SQL with the call's *values* in place of
placeholders, through a copy of the same compiler. Rows therefore come back exactly as the
ORM gives them (models, ``select_related``, annotations, converters), and the query is
still written once, with the ORM.

A placeholder is a value no row holds. One that the ORM did not hand to the database as a
parameter (folded into the SQL text, or changed on the way) makes preparing fail loudly, so
a query that cannot be prepared is never run with the wrong values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

# Far below any id or number a row holds; each integer placeholder is its own.
_INTEGER_PLACEHOLDER_BASE = -(2**62)
_LIST_PLACEHOLDER_BASE = -(2**61)
# The lengths an id list is padded to (a page of a list is at most 50 long); longer lists
# are asked the usual way. 0 pads: no row has id 0.
ID_LIST_SIZES = (5, 10, 20, 30, 50)
_PAD = 0

Slot = str | tuple[str, int]  # a value's name, or (the id list's name, the position in it)


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: SQLCompiler | None  # None: this shape matches nothing
    sql: str
    params: tuple
    slots: tuple[Slot | None, ...]  # per parameter: where its value comes from, or None to keep it


class PreparedQuery:
    """``build(*shape, **values) -> QuerySet``, compiled once per shape (the most recent
    ``shapes`` kept per process) and run as ``query(shape, **values) -> list``.

    ``integers``, ``texts`` and ``times`` name the values; ``optional`` ones may be left out
    of the SQL by some shapes. ``id_list`` names one value that is a list of ids (the items
    of a page): it is padded to one of ``ID_LIST_SIZES``, each a shape of its own, and a
    longer list is built and run without preparing. The result is a list: a prepared query
    cannot be filtered further, as its SQL is fixed.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        integers: Iterable[str] = (),
        texts: Iterable[str] = (),
        times: Iterable[str] = (),
        id_list: str | None = None,
        optional: Iterable[str] = (),
        shapes: int = 256,
    ) -> None:
        self._build = build
        self._integers = tuple(integers)
        self._texts = tuple(texts)
        self._times = tuple(times)
        self._id_list = id_list
        self._names = {*self._integers, *self._texts, *self._times, *([id_list] if id_list else [])}
        self._optional = frozenset(optional)
        self._shapes = shapes
        self._compiled: OrderedDict[Hashable, _Compiled] = OrderedDict()
        self._lock = Lock()

    def __call__(self, shape: tuple, **values: Any) -> list:
        if values.keys() != self._names:
            raise TypeError(f"expected values for {sorted(self._names)}, got {sorted(values)}")
        size = None
        if self._id_list is not None:
            ids = list(values[self._id_list])
            size = next((size for size in ID_LIST_SIZES if size >= len(ids)), None)
            if size is None:
                return list(self._build(*shape, **values))
        compiled = self._compiled_for(shape, size)
        if compiled.compiler is None:
            return []
        if not all(_fits_64_bits(values[name]) for name in self._integers) or (
            size is not None and not all(_fits_64_bits(pk) for pk in values[self._id_list])
        ):
            return []  # as the ORM answers a lookup no row can match; the database would refuse the value
        found = self._flat_values(values, size, connections[compiled.compiler.using].ops)
        pairs = zip(compiled.slots, compiled.params, strict=True)
        return list(_run(compiled, tuple(found[slot] if slot is not None else param for slot, param in pairs)))

    def _flat_values(self, values: dict[str, Any], size: int | None, operations) -> dict[Slot, Any]:
        found: dict[Slot, Any] = {name: values[name] for name in (*self._integers, *self._texts)}
        found.update({name: operations.adapt_datetimefield_value(values[name]) for name in self._times})
        if size is not None:
            ids = list(values[self._id_list])
            found.update({(self._id_list, index): pk for index, pk in enumerate(ids + [_PAD] * (size - len(ids)))})
        return found

    def _compiled_for(self, shape: tuple, size: int | None) -> _Compiled:
        key = (shape, size)
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is not None:
                self._compiled.move_to_end(key)
                return compiled
        compiled = self._compile(shape, size)
        with self._lock:
            self._compiled[key] = compiled
            while len(self._compiled) > self._shapes:
                self._compiled.popitem(last=False)
        return compiled

    def _compile(self, shape: tuple, size: int | None) -> _Compiled:
        placeholders: dict[str, Any] = {
            name: _INTEGER_PLACEHOLDER_BASE + index for index, name in enumerate(self._integers)
        }
        placeholders.update({name: f"\x00{name}\x00" for name in self._texts})
        placeholders.update({name: _time_placeholder(index) for index, name in enumerate(self._times)})
        if size is not None:
            placeholders[self._id_list] = [_LIST_PLACEHOLDER_BASE + index for index in range(size)]
        queryset = self._build(*shape, **placeholders)
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Compiled(queryset, None, "", (), ())
        operations = connections[queryset.db].ops
        slot_of: dict[Any, Slot] = {}
        for name, placeholder in placeholders.items():
            if name == self._id_list:
                slot_of.update({pk: (name, index) for index, pk in enumerate(placeholder)})
            elif name in self._times:
                slot_of[operations.adapt_datetimefield_value(placeholder)] = name
            else:
                slot_of[placeholder] = name
        for placeholder in slot_of:
            if str(placeholder) in sql:
                raise ImproperlyConfigured(
                    f"{slot_of[placeholder]!r} was written into the SQL, not passed as a parameter"
                )
        slots = tuple(_slot_of(param, slot_of) for param in params)
        missing = set(slot_of.values()) - set(slots) - self._optional
        if missing:
            raise ImproperlyConfigured(f"{sorted(map(str, missing))} did not reach the database as parameters")
        # Kept across requests and threads: it must not keep this thread's connection open
        # (a thread that ends would leave it unclosed); each run gets its own thread's.
        compiler.connection = None
        return _Compiled(queryset, compiler, sql, tuple(params), slots)


class PreparedList:
    """What ``django.core.paginator.Paginator`` asks of a list, from two prepared queries:
    ``count`` answers ``[{"n": total}]`` (or no row for none), and ``rows`` takes a page's
    start and stop after the shape (each page size is a shape: its LIMIT and OFFSET are in
    the SQL). ``then`` gets each page's rows (to prefetch what they show)."""

    def __init__(
        self,
        *,
        count: PreparedQuery,
        rows: PreparedQuery,
        shape: tuple,
        values: dict[str, Any],
        then: Callable[[list], object] | None = None,
    ) -> None:
        self._count, self._rows, self._shape, self._values, self._then = count, rows, shape, values, then

    def count(self) -> int:
        counted = self._count(self._shape, **self._values)
        return counted[0]["n"] if counted else 0

    def __getitem__(self, window: slice) -> list:
        rows = self._rows((*self._shape, window.start or 0, window.stop), **self._values)
        if self._then is not None:
            self._then(rows)
        return rows


def _fits_64_bits(value: int) -> bool:
    return -(2**63) <= value < 2**63


def _time_placeholder(index: int) -> datetime:
    """A moment no row holds: in the first year of the calendar."""
    return datetime(1, 1, 1, 0, 0, index, 7, tzinfo=UTC)


def _slot_of(param: Any, slot_of: dict[Any, Slot]) -> Slot | None:
    try:
        return slot_of.get(param)
    except TypeError:  # an unhashable parameter (a list) is never a placeholder
        return None


def _run(compiled: _Compiled, params: tuple) -> QuerySet:
    """A queryset whose compiler answers with the prepared SQL and these values.

    Copies are made field by field: ``copy.copy`` of a QuerySet would evaluate it
    (its ``__getstate__`` fetches the rows), and cloning the query would rebuild the
    tree of filters this module exists to avoid.
    """
    compiler = object.__new__(type(compiled.compiler))
    compiler.__dict__.update(compiled.compiler.__dict__)
    compiler.connection = connections[compiled.compiler.using]
    compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)

    query = object.__new__(type(compiled.queryset.query))
    query.__dict__.update(compiled.queryset.query.__dict__)
    query.get_compiler = lambda *args, **kwargs: compiler

    queryset = object.__new__(type(compiled.queryset))
    queryset.__dict__.update(compiled.queryset.__dict__)
    queryset._query = query
    queryset._result_cache = None
    queryset._prefetch_done = False
    return queryset
