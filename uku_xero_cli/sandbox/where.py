"""Xero's `where` filter: a small expression language over a record's fields.

Supported: `Field==value` with `== = != <> >= <= > <`, `AND`/`&&`, `OR`/`||`, `NOT`/`!`,
parentheses, dotted fields (`Contact.ContactID`), literals ("text", numbers, true, false,
null, `DateTime(2025,11,01[,h,m,s])`, `Guid("...")`) and the string methods `Contains`,
`StartsWith`, `EndsWith`, `ToLower`, `ToUpper`. Field names are matched case-insensitively
and must exist on the record type, as Xero's parser insists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from uku_xero_cli.sandbox import spec
from uku_xero_cli.sandbox.xero_format import parse_when, to_utc

Getter = Callable[[Mapping[str, Any]], Any]
Predicate = Callable[[Mapping[str, Any]], bool]
Resolver = Callable[[list[str]], list[str] | None]


class WhereError(ValueError):
    """The filter does not parse or names a field the record type lacks."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<>|>=|<=|&&|\|\||[=<>!(),.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

_STRING_METHODS = {"contains", "startswith", "endswith", "tolower", "toupper"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise WhereError(f"Syntax error at position {position}: {text[position:][:20]!r}")
        kind = found.lastgroup or ""
        out.append((kind, found.group(kind)))
        position = found.end()
    return out


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        moment = parse_when(value) if value.startswith("/Date(") else None
        return moment if moment is not None else value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, date):
        return to_utc(value)
    return value


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    left, right = _normalise(left), _normalise(right)
    if isinstance(left, datetime) and isinstance(right, str):
        right = parse_when(right) or right
    if isinstance(right, datetime) and isinstance(left, str):
        left = parse_when(left) or left
    if isinstance(left, datetime) and isinstance(right, datetime):
        return to_utc(left), to_utc(right)
    if isinstance(left, str) and isinstance(right, str):
        # Xero filters on a case-insensitive collation: Name=="acme ltd" finds "Acme Ltd".
        return left.casefold(), right.casefold()
    return left, right


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _comparable(left, right)
    if op in ("==", "="):
        return bool(left == right)
    if op in ("!=", "<>"):
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == ">":
            return bool(left > right)
        if op == "<":
            return bool(left < right)
        if op == ">=":
            return bool(left >= right)
        return bool(left <= right)
    except TypeError:
        return False


def _truthy(value: Any) -> bool:
    return value is True


class _Parser:
    def __init__(self, text: str, resolve: Resolver, type_name: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.resolve = resolve
        self.type_name = type_name

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def text_at(self, offset: int = 0) -> str:
        """The text of a token ahead ("" past the end)."""
        token = self.peek(offset)
        return token[1] if token is not None else ""

    def kind_at(self, offset: int = 0) -> str:
        token = self.peek(offset)
        return token[0] if token is not None else ""

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise WhereError("Unexpected end of expression")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        _, text = self.take()
        if text != value:
            raise WhereError(f"'{value}' expected, found '{text}'")

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and (
            (token[0] == "name" and token[1].upper() in words) or token[1] in words
        )

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.peek() is not None:
            raise WhereError(f"Syntax error near '{self.text_at()}'")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.at_word("OR", "||"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda record: any(part(record) for part in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.at_word("AND", "&&"):
            self.take()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda record: all(part(record) for part in parts)

    def not_expr(self) -> Predicate:
        if self.at_word("NOT", "!"):
            self.take()
            inner = self.not_expr()
            return lambda record: not inner(record)
        return self.comparison()

    def comparison(self) -> Predicate:
        token = self.peek()
        # "(" always opens a sub-expression: values are never parenthesised in Xero's filters.
        if token is not None and token[1] == "(":
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        left = self.term()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in _COMPARATORS:
            op = self.take()[1]
            right = self.term()
            return lambda record: _compare(op, left(record), right(record))
        return lambda record: _truthy(left(record))

    def term(self) -> Getter:
        getter = self.primary()
        while self.text_at() == ".":
            self.take()
            kind, name = self.take()
            if kind != "name" or name.lower() not in _STRING_METHODS:
                raise WhereError(f"Unknown method '{name}'")
            getter = self.method(getter, name.lower())
        return getter

    def method(self, target: Getter, name: str) -> Getter:
        self.expect("(")
        argument: Getter | None = None
        if self.text_at() not in (")", ""):
            argument = self.term()
        self.expect(")")
        if name in ("tolower", "toupper"):
            upper = name == "toupper"

            def cased(record: Mapping[str, Any]) -> Any:
                value = target(record)
                if not isinstance(value, str):
                    return value
                return value.upper() if upper else value.lower()

            return cased
        if argument is None:
            raise WhereError(f"'{name}' needs an argument")
        needle_of = argument

        def test(record: Mapping[str, Any]) -> bool:
            value, needle = target(record), needle_of(record)
            if not isinstance(value, str) or not isinstance(needle, str):
                return False
            value, needle = value.casefold(), needle.casefold()
            if name == "contains":
                return needle in value
            if name == "startswith":
                return value.startswith(needle)
            return value.endswith(needle)

        return test

    def primary(self) -> Getter:
        kind, text = self.take()
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            return lambda record: value
        if kind == "number":
            number = Decimal(text)
            return lambda record: number
        if kind != "name":
            raise WhereError(f"Unexpected '{text}'")
        word = text.lower()
        if word in ("true", "false"):
            flag = word == "true"
            return lambda record: flag
        if word == "null":
            return lambda record: None
        if word == "datetime" and self.text_at() == "(":
            return self.datetime_literal()
        if word == "guid" and self.text_at() == "(":
            self.take()
            kind, raw = self.take()
            if kind != "string":
                raise WhereError("Guid(...) needs a quoted value")
            self.expect(")")
            guid = raw[1:-1].lower()
            return lambda record: guid
        return self.field(text)

    def datetime_literal(self) -> Getter:
        self.expect("(")
        numbers: list[int] = []
        while True:
            kind, text = self.take()
            if kind != "number" or "." in text:
                raise WhereError("DateTime(...) takes whole numbers: DateTime(2025,11,01)")
            numbers.append(int(text))
            kind, text = self.take()
            if text == ")":
                break
            if text != ",":
                raise WhereError("DateTime(...) takes comma-separated numbers")
        if len(numbers) not in (3, 6):
            raise WhereError("DateTime(...) takes year, month, day[, hour, minute, second]")
        try:
            hour, minute, second = numbers[3:] if len(numbers) == 6 else (0, 0, 0)
            moment = to_utc(datetime(numbers[0], numbers[1], numbers[2], hour, minute, second))
        except ValueError as problem:
            raise WhereError(f"DateTime(...) is not a valid date: {problem}") from None
        return lambda record: moment

    def field(self, first: str) -> Getter:
        path = [first]
        # Dotted paths continue with names that are not method calls.
        while self.text_at() == "." and self.kind_at(1) == "name" and self.text_at(2) != "(":
            self.take()
            path.append(self.take()[1])
        canonical = self.resolve(path)
        if canonical is None:
            raise WhereError(
                f"No property or field '{'.'.join(path)}' exists in type '{self.type_name}'"
            )
        return lambda record: value_at(record, canonical)


_COMPARATORS = {"==", "=", "!=", "<>", ">=", "<=", ">", "<"}


def value_at(record: Mapping[str, Any], path: list[str]) -> Any:
    """The value at a dotted field path of a record; None where the path leads nowhere."""
    value: Any = record
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def compile_where(text: str, resolve: Resolver, type_name: str) -> Predicate:
    """A predicate over records for Xero's `where` text; raises WhereError."""
    return _Parser(text, resolve, type_name).parse()


@cache
def _schema_fields(schema_name: str) -> dict[str, tuple[str, str | None]]:
    """Lower-cased property name → (property name, referenced schema name or None)."""
    schemas = spec.load("accounting")["components"]["schemas"]
    fields: dict[str, tuple[str, str | None]] = {}
    for name, definition in schemas.get(schema_name, {}).get("properties", {}).items():
        ref = definition.get("$ref") or definition.get("items", {}).get("$ref")
        target = ref.rsplit("/", 1)[-1] if ref else None
        fields[name.lower()] = (name, target)
    return fields


def spec_resolver(schema_name: str) -> Resolver:
    """Resolves dotted field names against a schema of Xero's accounting spec."""

    def resolve(path: list[str]) -> list[str] | None:
        canonical: list[str] = []
        current: str | None = schema_name
        for name in path:
            if current is None:
                return None
            found = _schema_fields(current).get(name.lower())
            if found is None:
                return None
            canonical.append(found[0])
            current = found[1]
        return canonical

    return resolve
