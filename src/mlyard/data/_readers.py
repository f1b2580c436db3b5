"""Reading a tabular dataset's files: delimited text (with header detection) and Parquet.

Readers take the dataset's members in order and return one table; several files are
concatenated and must have the same columns. Streams are read to their end, so a
registered dataset's blobs are always verified against their sha256.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlyard.artifacts.hashing import CHUNK
from mlyard.data._sources import Member
from mlyard.errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

HEADER_CHOICES = ("auto", True, False)


def delimited_options(first: Member, header: Any, separator: Any, encoding: Any) -> dict:
    """The reader options of a delimited dataset, with ``header="auto"`` decided.

    Auto: the first line is a header unless every (non-empty) field in it is a number.
    Files without a header get columns named ``Column1``, ``Column2``, …
    """
    if not any(header is choice for choice in HEADER_CHOICES):
        raise InvalidInputError(
            f"header must be 'auto', True or False, got {header!r}",
            field="header",
            fix="pass header='auto' to detect it, or True/False",
        )
    if not isinstance(separator, str) or len(separator) != 1:
        raise InvalidInputError(
            f"separator must be one character, got {separator!r}",
            field="separator",
            fix="pass e.g. separator=',' or separator='\\t'",
        )
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise InvalidInputError(
            f"unknown encoding {encoding!r}", field="encoding", fix="pass e.g. 'utf-8' or 'latin-1'"
        ) from None
    row = _first_row(first, separator, encoding)
    has_header = header if isinstance(header, bool) else not _all_numbers(row)
    return {
        "format": "delimited",
        "header": has_header,
        "separator": separator,
        "encoding": encoding,
        "columns": None if has_header else [f"Column{i}" for i in range(1, len(row) + 1)],
    }


def _first_row(member: Member, separator: str, encoding: str) -> list[str]:
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    with member.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            row = next((r for r in csv.reader(text, delimiter=separator) if r), None)
        except UnicodeDecodeError as e:
            raise InvalidInputError(
                f"{member.name!r} is not {encoding} text: {e}",
                field="encoding",
                fix="pass the file's encoding, e.g. encoding='latin-1'",
            ) from None
        except csv.Error as e:
            raise InvalidInputError(
                f"{member.name!r} is not delimited text: {e}",
                field="path",
                fix="use Dataset.Tabular.from_parquet_files for Parquet files",
            ) from None
        finally:
            text.detach()
    if row is None:
        raise InvalidInputError(
            f"{member.name!r} is empty", field="path", fix="point at a file with rows"
        )
    return row


def _all_numbers(fields: list[str]) -> bool:
    values = [f.strip() for f in fields if f.strip()]
    if not values:
        return False
    try:
        for value in values:
            float(value)
    except ValueError:
        return False
    return True


def read_delimited(members: Sequence[Member], options: dict) -> pd.DataFrame:
    """One DataFrame of every file, in order."""
    import pandas as pd

    frames = [_read_csv(m, options) for m in members]
    first = list(frames[0].columns)
    for member, frame in zip(members[1:], frames[1:], strict=True):
        if list(frame.columns) != first:
            raise InvalidInputError(
                f"{member.name!r} has columns {_short(list(frame.columns))}, but "
                f"{members[0].name!r} has {_short(first)}",
                field="path",
                fix="combine only files with the same columns, or define one dataset each",
            )
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _read_csv(member: Member, options: dict) -> pd.DataFrame:
    import pandas as pd

    with member.open() as f:
        try:
            frame = pd.read_csv(
                f,
                sep=options["separator"],
                header=0 if options["header"] else None,
                encoding=options["encoding"],
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            _verify(member)  # a corrupted blob is reported as such, not as bad text
            raise InvalidInputError(
                f"cannot read {member.name!r} as delimited text: {e}",
                field="path",
                fix="check separator=, header= and encoding=",
            ) from None
        while f.read(CHUNK):  # reach the end, where a blob's hash is checked
            pass
    columns = options.get("columns")
    if columns is not None:
        if frame.shape[1] != len(columns):
            raise InvalidInputError(
                f"{member.name!r} has {frame.shape[1]} columns, the first file {len(columns)}",
                field="path",
                fix="combine only files with the same columns",
            )
        frame.columns = columns
    return frame


def read_parquet(members: Sequence[Member]) -> pa.Table:
    """One Arrow table of every Parquet file, in order."""
    import pyarrow as pa

    tables = [_read_parquet(m) for m in members]
    first = tables[0].schema
    for member, table in zip(members[1:], tables[1:], strict=True):
        if not table.schema.equals(first, check_metadata=False):
            raise InvalidInputError(
                f"{member.name!r} has columns {_short(table.schema.names)} with types "
                f"that differ from those of {members[0].name!r}",
                field="path",
                fix="combine only files with the same schema, or define one dataset each",
            )
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables([t.replace_schema_metadata(first.metadata) for t in tables])


def _read_parquet(member: Member) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with member.open() as f:
        data = f.read()  # Parquet needs random access; reading it whole also verifies it
    try:
        return pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as e:
        raise not_parquet(member, e) from None


def not_parquet(member: Member, error: Exception) -> InvalidInputError:
    return InvalidInputError(
        f"{member.name!r} is not a Parquet file: {error}",
        field="path",
        fix="use Dataset.Tabular.from_delimited_files for text files",
    )


def _verify(member: Member) -> None:
    if member.sha256 is not None:
        with member.open() as f:
            while f.read(CHUNK):
                pass


def _short(names: list[str]) -> str:
    shown = ", ".join(map(str, names[:8]))
    return f"[{shown}{', …' if len(names) > 8 else ''}]"
