"""The run search language: tokenizer, grammar and syntax tree (pure, no I/O).

Grammar (keywords are case-insensitive)::

    filter     := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | predicate
    predicate  := field op literal
                | field ["not"] "in" "(" literal ("," literal)* ")"
                | field ["not"] ("like" | "ilike") string
                | field "is" ["not"] "null"
    field      := ("metrics" | "params" | "tags" | "attributes") "." key | attribute
    key        := word | `back quoted` | "double quoted"
    op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    literal    := number | 'single quoted' | "double quoted" | true | false

Singular prefixes (``metric.``, ``param.``, ``tag.``, ``attribute.``/``attr.``/``run.``)
are accepted. A bare word such as ``status`` is an attribute. Errors carry the position of
the offending token so the message can point at it.

``order_by`` items read ``field [asc|desc]``; see :func:`parse_order_by`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from loopml.errors import InvalidFilter
from loopml.tracking import search_limits as limits

if TYPE_CHECKING:
    from collections.abc import Sequence

FieldKind = Literal["metrics", "params", "tags", "attributes"]
Value = float | int | str | bool

_PREFIXES: dict[str, FieldKind] = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "tags": "tags",
    "tag": "tags",
    "attributes": "attributes",
    "attribute": "attributes",
    "attr": "attributes",
    "run": "attributes",
}

#: attribute name (and aliases) -> canonical attribute
ATTRIBUTES: dict[str, str] = {
    "id": "id",
    "run_id": "id",
    "name": "name",
    "run_name": "name",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
    "user": "user",
    "experiment": "experiment",
    "experiment_id": "experiment_id",
    "parent_id": "parent_id",
    "pipeline_run_id": "pipeline_run_id",
    "step_name": "step_name",
    "source": "source",
    "git_commit": "git_commit",
    "git_branch": "git_branch",
    "git_dirty": "git_dirty",
    "seed": "seed",
}

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_OP_ALIASES = {"==": "=", "<>": "!="}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<backquoted>`[^`]*`)
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-/:]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """A lexical token with its start position in the filter text."""

    kind: str
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Field:
    """A searchable field: ``metrics.acc``, ``params.model``, ``tags.team``, ``status``..."""

    kind: FieldKind
    key: str

    def __str__(self) -> str:
        if self.kind == "attributes":
            return self.key
        return f"{self.kind}.{_quote_key(self.key)}"


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``."""

    field: Field
    op: str
    value: Value

    def __str__(self) -> str:
        return f"{self.field} {self.op} {_literal(self.value)}"


@dataclass(frozen=True, slots=True)
class InList:
    """``field [not] in (values)``."""

    field: Field
    values: tuple[Value, ...]
    negated: bool = False

    def __str__(self) -> str:
        keyword = "not in" if self.negated else "in"
        return f"{self.field} {keyword} ({', '.join(_literal(v) for v in self.values)})"


@dataclass(frozen=True, slots=True)
class Like:
    """``field [not] like|ilike pattern``."""

    field: Field
    pattern: str
    negated: bool = False
    case_insensitive: bool = False

    def __str__(self) -> str:
        keyword = ("not " if self.negated else "") + ("ilike" if self.case_insensitive else "like")
        return f"{self.field} {keyword} {_literal(self.pattern)}"


@dataclass(frozen=True, slots=True)
class IsNull:
    """``field is [not] null`` (a metric, param or tag that the run lacks is null)."""

    field: Field
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.field} is {'not ' if self.negated else ''}null"


@dataclass(frozen=True, slots=True)
class And:
    """All of ``items``."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " and ".join(_group(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    """Any of ``items``."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " or ".join(_group(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Not:
    """The negation of ``item``."""

    item: Node

    def __str__(self) -> str:
        return f"not {_group(self.item)}"


Node = Compare | InList | Like | IsNull | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One ``order_by`` item."""

    field: Field
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.field} {'desc' if self.descending else 'asc'}"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raise :class:`InvalidFilter` at the first unknown character."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char in "'\"`":
                raise InvalidFilter(
                    f"unterminated {'name' if char == '`' else 'string'} starting at position "
                    f"{position}; close it with {char}",
                    text=text,
                    position=position,
                )
            raise InvalidFilter(
                f"unexpected character {char!r} at position {position}",
                text=text,
                position=position,
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse_filter(text: str | None) -> Node | None:
    """Parse a filter string into a syntax tree (``None`` for an empty filter).

    Raises:
        InvalidFilter: the text is not a valid filter; the message points at the token.

    Example:
        >>> str(parse_filter("metrics.acc > 0.9 and params.model = 'gbm'"))
        "metrics.acc > 0.9 and params.model = 'gbm'"
    """
    if text is None:
        return None
    if not limits.check_text(text).strip():
        return None
    parser = _Parser(text)
    node = parser.or_expr()
    parser.expect_end()
    return node


def parse_order_by(items: Sequence[str] | str | None) -> list[OrderBy]:
    """Parse ``["metrics.acc desc", "start_time"]`` into :class:`OrderBy` items."""
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list | tuple):
        raise InvalidFilter(
            f"order_by must be a string or a list of strings such as ['metrics.acc desc'], "
            f"got {type(items).__name__}"
        )
    result = []
    for item in items:
        parser = _Parser(limits.check_text(item, "order_by item"))
        field = parser.field()
        descending = False
        token = parser.peek()
        if token.kind == "word" and token.text.lower() in {"asc", "desc"}:
            descending = parser.advance().text.lower() == "desc"
        parser.expect_end()
        result.append(OrderBy(field, descending))
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.predicates = 0
        self.values = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: Token | None = None) -> InvalidFilter:
        token = token or self.peek()
        shown = repr(token.text) if token.kind != "end" else "the end of the filter"
        return InvalidFilter(f"{message}, found {shown}", text=self.text, position=token.position)

    def is_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.lower() in words

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            raise self.error("expected 'and', 'or' or the end of the filter")

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_keyword("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.is_keyword("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.is_keyword("not") or self.peek().text == "(":
            self.depth += 1
            if self.depth > limits.MAX_DEPTH:
                raise self.error(
                    f"parentheses and 'not' nest more than {limits.MAX_DEPTH} deep; "
                    "flatten the filter"
                )
            node = self.nested()
            self.depth -= 1
            return node
        return self.predicate()

    def nested(self) -> Node:
        if self.is_keyword("not"):
            self.advance()
            return Not(self.not_expr())
        self.advance()
        node = self.or_expr()
        if self.peek().text != ")":
            raise self.error("expected ')' to close the parenthesis")
        self.advance()
        return node

    def field(self) -> Field:
        token = self.advance()
        if token.kind != "word":
            raise self.error("expected a field such as metrics.acc, params.model or status", token)
        lowered = token.text.lower()
        if self.peek().text == "." and lowered in _PREFIXES:
            self.advance()
            kind = _PREFIXES[lowered]
            key = self.key()
            if kind == "attributes":
                return self.attribute(key, token)
            return Field(kind, key)
        return self.attribute(token.text, token)

    def attribute(self, name: str, token: Token) -> Field:
        canonical = ATTRIBUTES.get(name.lower())
        if canonical is None:
            known = ", ".join(sorted(set(ATTRIBUTES.values())))
            raise InvalidFilter(
                f"unknown field {name!r}; use metrics.<key>, params.<key>, tags.<key> or an "
                f"attribute ({known})",
                text=self.text,
                position=token.position,
            )
        return Field("attributes", canonical)

    def key(self) -> str:
        token = self.advance()
        if token.kind == "word":
            parts = [token.text]
            # Keys may contain dots: metrics.val.loss
            while self.peek().text == "." and self.tokens[self.index + 1].kind == "word":
                self.advance()
                parts.append(self.advance().text)
            return ".".join(parts)
        if token.kind == "backquoted":
            return token.text[1:-1]
        if token.kind == "string" and token.text.startswith('"'):
            return _unquote(token.text)
        raise self.error("expected a key after the '.'", token)

    def predicate(self) -> Node:
        start = self.peek()
        self.predicates += 1
        if self.predicates > limits.MAX_PREDICATES:
            raise self.error(
                f"the filter has more than {limits.MAX_PREDICATES} predicates; use IN lists "
                "or split the search",
                start,
            )
        node = self.bare_predicate()
        if isinstance(node, Compare | InList | Like):
            self.check(node, start)
        return node

    def check(self, node: Compare | InList | Like, start: Token) -> None:
        field = node.field
        if isinstance(node, Like):
            values: tuple[Value, ...] = (node.pattern,)
        else:
            values = node.values if isinstance(node, InList) else (node.value,)
        limits.check_values(
            field.kind,
            field.key,
            values,
            is_like=isinstance(node, Like),
            op=node.op if isinstance(node, Compare) else "=",
            text=self.text,
            position=start.position,
        )

    def bare_predicate(self) -> Compare | InList | Like | IsNull:
        field = self.field()
        token = self.peek()
        if token.kind == "op":
            self.advance()
            op = _OP_ALIASES.get(token.text, token.text)
            return Compare(field, op, self.literal())
        negated = False
        if self.is_keyword("not"):
            self.advance()
            negated = True
        if self.is_keyword("in"):
            self.advance()
            return InList(field, self.literal_list(), negated)
        if self.is_keyword("like", "ilike"):
            keyword = self.advance().text.lower()
            pattern_token = self.peek()
            value = self.literal()
            if not isinstance(value, str):
                raise self.error("expected a quoted pattern after LIKE", pattern_token)
            return Like(field, value, negated, keyword == "ilike")
        if negated:
            raise self.error("expected 'in', 'like' or 'ilike' after 'not'")
        if self.is_keyword("is"):
            self.advance()
            is_not = False
            if self.is_keyword("not"):
                self.advance()
                is_not = True
            if not self.is_keyword("null"):
                raise self.error("expected 'null' after 'is'")
            self.advance()
            return IsNull(field, is_not)
        raise self.error("expected a comparison (=, !=, <, <=, >, >=), IN, LIKE or IS NULL")

    def literal(self) -> Value:
        self.values += 1
        if self.values > limits.MAX_VALUES:
            raise self.error(f"the filter has more than {limits.MAX_VALUES} values")
        token = self.advance()
        if token.kind == "number":
            return _number(token.text)
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "word" and token.text.lower() in {"true", "false"}:
            return token.text.lower() == "true"
        raise self.error("expected a number or a quoted string", token)

    def literal_list(self) -> tuple[Value, ...]:
        if self.peek().text != "(":
            raise self.error("expected '(' to start the list after IN")
        self.advance()
        values = [self.literal()]
        while self.peek().text == ",":
            self.advance()
            values.append(self.literal())
        if self.peek().text != ")":
            raise self.error("expected ',' or ')' in the IN list")
        self.advance()
        return tuple(values)


def _number(text: str) -> int | float:
    # Integers beyond 64 bits compare as floats (metrics and params are doubles anyway);
    # int() of a very long digit string is also refused by Python itself.
    if re.fullmatch(r"[-+]?\d{1,19}", text):
        number = int(text)
        if -limits.INT64_MAX - 1 <= number <= limits.INT64_MAX:
            return number
    return float(text)


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    if quote == "'":
        body = body.replace("''", "'")
    return re.sub(r"\\(.)", r"\1", body)


def _literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _quote_key(key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-/:]*(?:\.[A-Za-z_][A-Za-z0-9_\-/:]*)*", key):
        return key
    return f"`{key}`"


def _group(node: Node) -> str:
    if isinstance(node, And | Or):
        return f"({node})"
    return str(node)
