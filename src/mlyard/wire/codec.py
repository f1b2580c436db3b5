"""The one codec for records crossing a process boundary: pydantic ``TypeAdapter``s.

Any record type of :mod:`mlyard.store.records` (and lists, tuples or dicts of them)
encodes to JSON bytes and decodes back to equal frozen records. Metric series keep
their exact int64/float64 arrays (base64 of the little-endian bytes), NaN and
infinities included; elsewhere NaN and infinities are the JSON constants ``NaN`` and
``Infinity``, which both sides of our wire read.

Example:
    >>> from mlyard.store.records import FileRecord
    >>> data = encode([FileRecord("a.csv", "0" * 64, 3)], list[FileRecord])
    >>> decode(data, list[FileRecord])[0].size
    3
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from mlyard.errors import InvalidInputError

T = TypeVar("T")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def encode(value: Any, as_type: Any = None) -> bytes:
    """JSON bytes of ``value``, shaped as ``as_type`` (default: its own type)."""
    return _adapter(as_type if as_type is not None else type(value)).dump_json(value)


def decode(data: bytes | str, as_type: type[T] | Any) -> T:
    """The ``as_type`` value that ``data`` (JSON) encodes.

    Raises:
        InvalidInputError: ``data`` is not JSON of that shape; names the first bad field.
    """
    try:
        return _adapter(as_type).validate_json(data)
    except ValidationError as e:
        raise invalid(e, as_type) from None


def dump(value: Any, as_type: Any = None) -> Any:
    """``value`` as plain JSON-ready Python (dicts, lists, strings, numbers)."""
    return _adapter(as_type if as_type is not None else type(value)).dump_python(value, mode="json")


def load(obj: Any, as_type: type[T] | Any) -> T:
    """The ``as_type`` value that plain Python ``obj`` (as from :func:`dump`) stands for."""
    try:
        return _adapter(as_type).validate_python(obj)
    except ValidationError as e:
        raise invalid(e, as_type) from None


def invalid(err: ValidationError, as_type: Any) -> InvalidInputError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    name = getattr(as_type, "__name__", str(as_type))
    return InvalidInputError(
        f"not a valid {name}: {where}: {first.get('msg', 'invalid')}",
        field=where,
        fix=f"send the JSON form of {name}",
    )
