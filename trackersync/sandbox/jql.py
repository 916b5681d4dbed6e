"""A small real JQL parser for the Jira sandbox: the subset sync tools actually send.

Grammar (keywords are case-insensitive, as in Jira):

    query   := [or] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
    or      := and {OR and}
    and     := unary {AND unary}
    unary   := NOT unary | "(" or ")" | clause
    clause  := field (= | != | > | >= | < | <=) value
             | field [NOT] IN "(" value {, value} ")"
             | field IS [NOT] (EMPTY | NULL)

Dates follow Jira: `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd HH:mm"` or `"yyyy-MM-dd"` in the API
user's time zone, at minute granularity, or relative to the server clock (`-15m`, `-2h`,
`-1d`, `-1w`). Anything else raises `JqlError`, which the sandbox answers with a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

FIELDS = frozenset(
    {
        "project",
        "key",
        "labels",
        "fixversion",
        "status",
        "statuscategory",
        "updated",
        "created",
        "resolution",
        "assignee",
        "issuetype",
        "duedate",
        "parent",
        "summary",
        "description",
    }
)
# Free-text fields: only `~` (contains) and `!~` apply, as in Jira.
TEXT_FIELDS = frozenset({"summary", "description"})
ALIASES = {"issuekey": "key", "type": "issuetype", "due": "duedate", "updateddate": "updated"}
DATE_FIELDS = frozenset({"updated", "created", "duedate"})
COMPARISONS = ("=", "!=", ">=", "<=", ">", "<", "~", "!~")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!~|!=|>=|<=|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!<>~]+)
    )""",
    re.VERBOSE,
)
_RELATIVE = re.compile(r"^([+-]?)(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ABSOLUTE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


class JqlError(ValueError):
    """The query is not in the supported subset (the sandbox answers 400)."""


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is string, op, punct or word."""

    kind: str
    text: str


@dataclass(frozen=True)
class Clause:
    """`field op values`; op is a comparison, `in`, `not in`, `is` or `is not`."""

    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class And:
    """Every part matches."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Some part matches."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The part does not match."""

    part: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class Query:
    """A parsed query: the condition (None = everything) and the ORDER BY terms."""

    where: Node | None
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens; quoted strings lose their quotes."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {position}.")
        kind = match.lastgroup or "word"
        value = match[kind]
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value))
        position = match.end()
    return tokens


def parse(text: str) -> Query:
    """Parse a query of the supported subset; raise `JqlError` otherwise."""
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token.kind == "word" and token.text.lower() in words:
            self.position += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            found = token.text if token else "the end of the query"
            raise JqlError(f"Error in the JQL Query: expecting {text or kind} but got '{found}'.")
        self.position += 1
        return token

    def query(self) -> Query:
        where = None
        if self.peek() is not None and not self._at_order_by():
            where = self.disjunction()
        order: tuple[tuple[str, bool], ...] = ()
        if self.keyword("order"):
            if not self.keyword("by"):
                raise JqlError("Error in the JQL Query: expecting 'by' after 'order'.")
            order = self.order_terms()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: unexpected '{self.peek().text}'.")  # type: ignore[union-attr]
        return Query(where, order)

    def _at_order_by(self) -> bool:
        token = self.peek()
        return bool(token and token.kind == "word" and token.text.lower() == "order")

    def order_terms(self) -> tuple[tuple[str, bool], ...]:
        terms = [self.order_term()]
        while self.peek() == Token("punct", ","):
            self.position += 1
            terms.append(self.order_term())
        return tuple(terms)

    def order_term(self) -> tuple[str, bool]:
        field = field_name(self.expect("word").text)
        descending = False
        if self.keyword("desc"):
            descending = True
        else:
            self.keyword("asc")
        return field, descending

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        if self.keyword("not"):
            return Not(self.unary())
        if self.peek() == Token("punct", "("):
            self.position += 1
            node = self.disjunction()
            self.expect("punct", ")")
            return node
        return self.clause()

    def clause(self) -> Clause:
        field = field_name(self.expect("word").text)
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in COMPARISONS:
            if (token.text in ("~", "!~")) != (field in TEXT_FIELDS):
                raise JqlError(
                    f"The operator '{token.text}' is not supported by the '{field}' field."
                )
            self.position += 1
            return Clause(field, token.text, (self.value(),))
        if self.keyword("is"):
            op = "is not" if self.keyword("not") else "is"
            if not self.keyword("empty", "null"):
                raise JqlError("Error in the JQL Query: expecting EMPTY or NULL after IS.")
            return Clause(field, op, ())
        negated = self.keyword("not")
        if self.keyword("in"):
            return Clause(field, "not in" if negated else "in", self.value_list())
        found = token.text if token else "the end of the query"
        raise JqlError(f"Error in the JQL Query: expecting an operator but got '{found}'.")

    def value(self) -> str:
        token = self.peek()
        if token is None or token.kind not in ("string", "word"):
            found = token.text if token else "the end of the query"
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{found}'.")
        self.position += 1
        return token.text

    def value_list(self) -> tuple[str, ...]:
        self.expect("punct", "(")
        values = [self.value()]
        while self.peek() == Token("punct", ","):
            self.position += 1
            values.append(self.value())
        self.expect("punct", ")")
        return tuple(values)


def field_name(text: str) -> str:
    """The canonical (lower-case) name of a supported field, else `JqlError`."""
    name = ALIASES.get(text.lower(), text.lower())
    if name not in FIELDS:
        raise JqlError(f"Field '{text}' does not exist or you do not have permission to view it.")
    return name


@dataclass(frozen=True)
class DateContext:
    """What date literals are read against: the API user's zone and the server clock."""

    zone: tzinfo
    now: datetime


def to_instant(literal: str, context: DateContext) -> datetime:
    """A JQL date literal as an aware instant, floored to the minute as Jira does."""
    relative = _RELATIVE.match(literal.strip())
    if relative:
        sign = 1 if relative[1] == "+" else -1
        delta = timedelta(**{_UNITS[relative[3]]: int(relative[2])})
        return _floor_minute(context.now + sign * delta)
    for pattern in _ABSOLUTE_FORMATS:
        try:
            naive = datetime.strptime(literal.strip(), pattern)  # noqa: DTZ007 - zone added next
        except ValueError:
            continue
        return naive.replace(tzinfo=context.zone)
    raise JqlError(
        f"Date value '{literal}' for field is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


Accessor = Callable[[Any, str], Sequence[Any]]
Predicate = Callable[[Any], bool]


def compile_where(node: Node | None, context: DateContext, values: Accessor) -> Predicate:
    """Turn a condition into a predicate over records; `values(record, field)` reads them.

    String values compare case-insensitively (as Jira does for names and keys); date
    fields compare as instants.
    """
    if node is None:
        return lambda _record: True
    if isinstance(node, And):
        parts = [compile_where(part, context, values) for part in node.parts]
        return lambda record: all(part(record) for part in parts)
    if isinstance(node, Or):
        parts = [compile_where(part, context, values) for part in node.parts]
        return lambda record: any(part(record) for part in parts)
    if isinstance(node, Not):
        inner = compile_where(node.part, context, values)
        return lambda record: not inner(record)
    return _compile_clause(node, context, values)


def _compile_clause(clause: Clause, context: DateContext, values: Accessor) -> Predicate:
    field, op = clause.field, clause.op
    if op in ("is", "is not"):
        empty = op == "is"
        return lambda record: (len(values(record, field)) == 0) == empty
    if field in DATE_FIELDS:
        return _compile_date(clause, context, values)
    if field in TEXT_FIELDS or op in ("~", "!~"):
        return _compile_text(clause, values)
    wanted = {value.lower() for value in clause.values}
    if op in ("=", "in"):
        return lambda record: any(str(v).lower() in wanted for v in values(record, field))
    if op in ("!=", "not in"):
        return lambda record: not any(str(v).lower() in wanted for v in values(record, field))
    raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")


def _compile_text(clause: Clause, values: Accessor) -> Predicate:
    """`summary ~ "crash save"`: every word of the value starts a word of the field (a
    stand-in for Jira's stemming full-text match; `*` ends a prefix on purpose too)."""
    field, op = clause.field, clause.op
    if field not in TEXT_FIELDS or op not in ("~", "!~"):
        raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
    words = _WORDS.findall(clause.values[0].lower())
    contains = op == "~"

    def matches(record: Any) -> bool:
        found = {w for text in values(record, field) for w in _WORDS.findall(str(text).lower())}
        hit = all(any(f.startswith(w) for f in found) for w in words)
        return hit == contains

    return matches


_WORDS = re.compile(r"\w+")
_DATE_TESTS: dict[str, Callable[[datetime, datetime], bool]] = {
    ">=": lambda value, bound: value >= bound,
    ">": lambda value, bound: value > bound,
    "<=": lambda value, bound: value <= bound,
    "<": lambda value, bound: value < bound,
}


def _compile_date(clause: Clause, context: DateContext, values: Accessor) -> Predicate:
    field = clause.field
    if clause.op in ("=", "!="):
        bound = to_instant(clause.values[0], context)
        equal = clause.op == "="

        def same_minute(record: Any) -> bool:
            found = [_as_instant(v, context) for v in values(record, field)]
            return any(_floor_minute(v) == bound for v in found) == equal

        return same_minute
    test = _DATE_TESTS.get(clause.op)
    if test is None:
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{field}' field.")
    bound = to_instant(clause.values[0], context)
    return lambda record: any(test(_as_instant(v, context), bound) for v in values(record, field))


def _as_instant(value: datetime | date, context: DateContext) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=context.zone)
