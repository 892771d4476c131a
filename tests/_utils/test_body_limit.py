from __future__ import annotations

import asyncio
from typing import Any

import pytest

from loopml._utils.body_limit import BodyLimit, declared_length


class Over(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _run(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Any]:
    sent: list[Any] = []
    refused: list[int] = []

    async def refuse(send: Any, size: int) -> None:
        refused.append(size)
        await send({"type": "http.response.start", "status": 413})

    async def main() -> None:
        messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> Any:
            return messages.pop(0)

        async def send(message: Any) -> None:
            sent.append(message)

        limited = BodyLimit(app, 10, error=Over, refuse=refuse)
        await limited({"type": "http", "headers": headers}, receive, send)

    asyncio.run(main())
    return [refused, [m.get("status") for m in sent]]


async def _reading_app(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message["body"]
        if not message["more_body"]:
            break
    await send({"type": "http.response.start", "status": 200, "body": body})


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    assert _run(never, [(b"content-length", b"11")], [b"x" * 11]) == [[11], [413]]


def test_a_streamed_body_crossing_the_limit_is_refused_while_read() -> None:
    assert _run(_reading_app, [], [b"x" * 6, b"x" * 6, b"x" * 6]) == [[12], [413]]


def test_a_body_within_the_limit_reaches_the_app() -> None:
    assert _run(_reading_app, [(b"content-length", b"10")], [b"x" * 5, b"x" * 5]) == [[], [200]]


def test_an_app_that_answered_before_the_limit_is_not_answered_twice() -> None:
    async def answers_then_reads(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 202})
        while True:
            await receive()  # raises Over past the limit

    assert _run(answers_then_reads, [], [b"x" * 8, b"x" * 8]) == [[], [202]]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [([(b"content-length", b"42")], 42), ([(b"content-length", b"4x")], None), ([], None)],
)
def test_declared_length(headers: list[tuple[bytes, bytes]], expected: int | None) -> None:
    assert declared_length({"headers": headers}) == expected
