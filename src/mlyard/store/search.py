"""Run filters and orderings, parsed once for every backend.

The grammar is MLflow's::

    metrics.mse < 3000 and params.alpha = '0.1' and tags."team name" != 'x'
    attributes.status = 'COMPLETED' and run_name LIKE 'ridge%'
    params.model IN ('ridge', 'lasso')

Comparisons are joined by ``AND``. Metric values are numbers; params, tags and
text attributes are quoted strings.

Example:
    >>> [c.key for c in parse_filter("metrics.mse < 3000 and params.alpha = '0.1'")]
    ['mse', 'alpha']
    >>> parse_order_by(["metrics.mse ASC"])
    (OrderKey(kind='metric', key='mse', ascending=True),)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlyard.errors import InvalidInputError

_KINDS = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
# attribute name -> (column, is_numeric)
ATTRIBUTES = {
    "run_id": ("run_id", False),
    "run_name": ("name", False),
    "name": ("name", False),
    "status": ("status", False),
    "user_id": ("user_id", False),
    "start_time": ("start_time", True),
    "end_time": ("end_time", True),
    "created": ("start_time", True),
}
_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<bq>`[^`]*`)
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|!=|<>|==|=|<|>)
    | (?P<punct>[(),.])
    | (?P<word>[A-Za-z_][\w\-]*)
    )""",
    re.VERBOSE,
)
_FIX = "write comparisons like metrics.mse < 3000 and params.alpha = '0.1', joined by 'and'"
MAX_RESULTS = 50_000  # as MLflow's search_runs
MAX_CLAUSES = 50
MAX_ORDER_KEYS = 10
_MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Clause:
    kind: str  # "metric" | "param" | "tag" | "attribute"
    key: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class OrderKey:
    kind: str
    key: str
    ascending: bool = True


def _bad(message: str, field: str = "filter") -> InvalidInputError:
    return InvalidInputError(message, field=field, fix=_FIX)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _bad(f"cannot read filter {text!r} at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str, field: str):
        self.text = text
        self.field = field
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _bad(f"filter {self.text!r} ends too early", self.field)
        self.i += 1
        return tok

    def identifier(self) -> tuple[str, str]:
        kind, tok = self.take()
        if kind == "word" and self.peek() == ("punct", "."):
            prefix = tok.lower()
            if prefix not in _KINDS:
                raise _bad(
                    f"unknown entity {tok!r} in {self.text!r}; use metrics., params., tags. "
                    "or attributes.",
                    self.field,
                )
            self.take()
            kkind, key = self.take()
            if kkind in ("str", "bq"):
                key = _unquote(key)
            elif kkind not in ("word", "num"):
                raise _bad(f"expected a key after {tok}. in {self.text!r}", self.field)
            entity = _KINDS[prefix]
        elif kind == "word":
            entity, key = "attribute", tok
        elif kind == "bq":
            entity, key = "attribute", _unquote(tok)
        else:
            raise _bad(f"expected a name like metrics.mse, found {tok!r}", self.field)
        if entity == "attribute":
            key = key.lower()
            if key not in ATTRIBUTES:
                raise _bad(
                    f"unknown run attribute {key!r}; known: {', '.join(sorted(ATTRIBUTES))}",
                    self.field,
                )
        return entity, key

    def comparison(self) -> Clause:
        entity, key = self.identifier()
        kind, op = self.take()
        if kind == "word" and op.upper() == "NOT":
            _, nxt = self.take()
            op = "NOT " + nxt.upper()
        elif kind == "word":
            op = op.upper()
        elif kind == "op":
            op = {"==": "=", "<>": "!="}.get(op, op)
        else:
            raise _bad(f"expected an operator after {key!r}, found {op!r}", self.field)
        numeric = entity == "metric" or (entity == "attribute" and ATTRIBUTES[key][1])
        allowed = _NUMERIC_OPS if numeric else _STRING_OPS
        if op not in allowed:
            raise _bad(
                f"operator {op!r} does not apply to {entity} {key!r}; use one of "
                f"{', '.join(allowed)}",
                self.field,
            )
        value = self.in_list() if op in ("IN", "NOT IN") else self.value(numeric, key)
        return Clause(entity, key, op, value)

    def in_list(self) -> tuple[str, ...]:
        if self.take() != ("punct", "("):
            raise _bad("IN needs a list like ('a', 'b')", self.field)
        items = []
        while True:
            kind, tok = self.take()
            if kind != "str":
                raise _bad(f"IN lists hold quoted strings, found {tok!r}", self.field)
            items.append(_unquote(tok))
            kind, tok = self.take()
            if tok == ")":
                return tuple(items)
            if tok != ",":
                raise _bad(f"expected ',' or ')' in IN list, found {tok!r}", self.field)

    def value(self, numeric: bool, key: str) -> Any:
        kind, tok = self.take()
        if numeric:
            number = math.nan
            if kind == "num":
                number = float(tok)
            elif kind == "str":
                try:
                    number = float(_unquote(tok))
                except ValueError:
                    pass
            # NaN compares false with everything in SQLite and above everything in
            # PostgreSQL: no comparison with it means the same on both.
            if math.isnan(number):
                raise _bad(f"{key!r} is compared with numbers, found {tok!r}", self.field)
            return number
        if kind == "str":
            return _unquote(tok)
        raise _bad(
            f"{key!r} is compared with quoted strings, found {tok!r}; write '{tok}'",
            self.field,
        )


def check_page(max_results: Any, offset: Any = 0) -> None:
    """Refuse a page size or offset that is not a sensible whole number."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidInputError(
            f"max_results must be a whole number, got {max_results!r:.40}",
            field="max_results",
            fix=f"pass 1 to {MAX_RESULTS}",
        )
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInputError(
            f"max_results must be from 1 to {MAX_RESULTS}, got {max_results}",
            field="max_results",
            fix=f"pass 1 to {MAX_RESULTS}, and page with offset",
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_OFFSET:
        raise InvalidInputError(
            f"offset must be a whole number from 0 to {_MAX_OFFSET}, got {offset!r:.40}",
            field="offset",
        )


def parse_filter(text: str | None) -> tuple[Clause, ...]:
    """Parse a filter string into clauses that are all ANDed."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise _bad(f"the filter must be text, got {type(text).__name__}")
    if not text.strip():
        return ()
    p = _Parser(text, "filter")
    clauses = [p.comparison()]
    while p.peek() is not None:
        kind, tok = p.take()
        if kind != "word" or tok.upper() != "AND":
            raise _bad(f"expected 'and' between comparisons, found {tok!r}")
        clauses.append(p.comparison())
        if len(clauses) > MAX_CLAUSES:
            raise _bad(f"the filter has more than {MAX_CLAUSES} comparisons")
    return tuple(clauses)


def parse_order_by(items: Sequence[str] | str | None) -> tuple[OrderKey, ...]:
    """Parse ``["metrics.mse ASC", "start_time DESC"]`` into order keys."""
    if items is None:
        return ()
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise InvalidInputError(
            f"order_by must be text or a list of text, got {items!r:.60}",
            field="order_by",
            fix="e.g. order_by=['metrics.mse ASC']",
        )
    if len(items) > MAX_ORDER_KEYS:
        raise InvalidInputError(
            f"order_by has {len(items)} keys; at most {MAX_ORDER_KEYS} are allowed",
            field="order_by",
            fix="order by the few keys that matter",
        )
    keys = []
    for item in items:
        p = _Parser(item, "order_by")
        entity, key = p.identifier()
        ascending = True
        tok = p.peek()
        if tok is not None:
            word = p.take()[1].upper()
            if word not in ("ASC", "DESC"):
                raise InvalidInputError(
                    f"order_by {item!r}: expected ASC or DESC, found {word!r}",
                    field="order_by",
                    fix="write it like 'metrics.mse ASC'",
                )
            ascending = word == "ASC"
        if p.peek() is not None:
            raise InvalidInputError(
                f"order_by {item!r} has extra words", field="order_by", fix="one key per item"
            )
        keys.append(OrderKey(entity, key, ascending))
    return tuple(keys)
