"""Hot read queries, built and compiled by the ORM once per shape, then run with new values.

On the pages every member opens most, building a query's filters and compiling them to SQL
costs more than the database takes to answer: the discussion page's lookup under the
visibility rule is over 3 KB of SQL from a tree of subqueries, and it was rebuilt on every
request. A ``PreparedQuery`` keeps what the ORM compiled for one *shape* (the builder's
positional arguments, those that change the SQL's text, such as which communities a member
belongs to) and on each call runs that same SQL with the call's *values* in place of
placeholders, through a copy of the same compiler. Rows therefore come back exactly as the
ORM gives them (models, ``select_related``, annotations, converters, prefetches), and the
query is still written once, with the ORM.

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

# Far below any id or number a row holds; each integer slot gets its own.
_INTEGER_PLACEHOLDER_BASE = -(2**62)


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: SQLCompiler | None  # None: this shape matches nothing
    sql: str
    params: tuple
    slots: tuple[str | None, ...]  # per parameter: the value's name, or None to keep it


class PreparedQuery:
    """``build(*shape, **values) -> QuerySet``, compiled once per shape (the most recent
    ``shapes`` kept per process) and run as ``query(shape, **values) -> list``.

    ``integers`` and ``texts`` name the values; ``optional`` ones may be left out of the
    SQL by some shapes (a visitor's query has no member id in it). The result is a list:
    a prepared query cannot be filtered further, as its SQL is fixed.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        integers: Iterable[str] = (),
        texts: Iterable[str] = (),
        times: Iterable[str] = (),
        optional: Iterable[str] = (),
        shapes: int = 256,
    ) -> None:
        self._build = build
        self._integers = tuple(integers)
        self._placeholders: dict[str, Any] = {
            name: _INTEGER_PLACEHOLDER_BASE + index for index, name in enumerate(self._integers)
        }
        self._placeholders.update({name: f"\x00{name}\x00" for name in texts})
        self._times = tuple(times)
        self._placeholders.update({name: _time_placeholder(index) for index, name in enumerate(self._times)})
        self._optional = frozenset(optional)
        self._shapes = shapes
        self._compiled: OrderedDict[Hashable, _Compiled] = OrderedDict()
        self._lock = Lock()

    def __call__(self, shape: tuple, **values: Any) -> list:
        if values.keys() != self._placeholders.keys():
            raise TypeError(f"expected values for {sorted(self._placeholders)}, got {sorted(values)}")
        compiled = self._compiled_for(shape)
        if compiled.compiler is None:
            return []
        if any(not _fits_64_bits(value) for name, value in values.items() if name in self._integers):
            return []  # as the ORM answers a lookup no row can match; the database would refuse the value
        operations = connections[compiled.compiler.using].ops
        for name in self._times:
            values[name] = operations.adapt_datetimefield_value(values[name])
        params = tuple(
            values[slot] if slot is not None else param
            for slot, param in zip(compiled.slots, compiled.params, strict=True)
        )
        return list(_run(compiled, params))

    def _compiled_for(self, shape: tuple) -> _Compiled:
        with self._lock:
            compiled = self._compiled.get(shape)
            if compiled is not None:
                self._compiled.move_to_end(shape)
                return compiled
        compiled = self._compile(shape)
        with self._lock:
            self._compiled[shape] = compiled
            while len(self._compiled) > self._shapes:
                self._compiled.popitem(last=False)
        return compiled

    def _compile(self, shape: tuple) -> _Compiled:
        queryset = self._build(*shape, **self._placeholders)
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Compiled(queryset, None, "", (), ())
        operations = connections[queryset.db].ops
        names = {}
        for name, placeholder in self._placeholders.items():
            if name in self._times:
                placeholder = operations.adapt_datetimefield_value(placeholder)
            names[placeholder] = name
            if str(placeholder) in sql:
                raise ImproperlyConfigured(f"{name!r} was written into the SQL, not passed as a parameter")
        slots = tuple(_name_of(param, names) for param in params)
        missing = set(self._placeholders) - set(slots) - self._optional
        if missing:
            raise ImproperlyConfigured(f"{sorted(missing)} did not reach the database as parameters")
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

    def __len__(self) -> int:
        return self.count()

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


def _name_of(param: Any, names: dict[Any, str]) -> str | None:
    try:
        return names.get(param)
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
