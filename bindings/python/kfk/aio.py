"""asyncio integration: the queue's descriptor is watched with
``loop.add_reader``; when it becomes readable, waiting events are
dispatched without blocking, and requests complete asyncio futures.

    async with kfk.aio.connect(host, port) as conn:
        result = await conn.metadata()
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from .conn import Conn, Request
from .errors import KafkaError
from .queue import EventQueue


class AsyncConn:
    """A Conn whose requests are awaitable. Every method of Conn that sends
    a request is available and returns an awaitable of its result."""

    def __init__(self, conn: Conn, loop: asyncio.AbstractEventLoop) -> None:
        self.conn, self._loop = conn, loop
        self._watching = False

    def _watch(self) -> None:
        if not self._watching:
            self._loop.add_reader(self.conn.queue.fileno(), self._drain)
            self._watching = True

    def _drain(self) -> None:
        self.conn.queue.poll(0)

    def _future(self, start: Any) -> "asyncio.Future[Any]":
        fut: asyncio.Future[Any] = self._loop.create_future()

        def done(result: Any, error: Optional[KafkaError]) -> None:
            if fut.done():
                return
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(result)

        self._watch()
        start(done)
        return fut

    async def connect(self, host: str, port: int, timeout: float = 5.0) -> None:
        fut: asyncio.Future[Any] = self._loop.create_future()
        self.conn.on_connect = lambda: fut.done() or fut.set_result(None)
        self.conn.on_error = lambda err: fut.done() or fut.set_exception(err)
        self._watch()
        self.conn.connect(host, port, timeout)
        await fut

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.conn, name)
        if not callable(method) or name in ("close", "disconnect", "connect") or name.startswith("_"):
            return method

        def call(*args: Any, **kwargs: Any) -> "asyncio.Future[Any]":
            return self._future(lambda cb: method(*args, callback=cb, **kwargs))

        return call

    def close(self) -> None:
        if self._watching:
            self._loop.remove_reader(self.conn.queue.fileno())
            self._watching = False
        self.conn.close()

    async def __aenter__(self) -> "AsyncConn":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class _Connector:
    def __init__(self, host: str, port: int, timeout: float, kwargs: dict) -> None:
        self.args, self.kwargs = (host, port, timeout), kwargs
        self.conn: Optional[AsyncConn] = None

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._open().__await__()

    async def _open(self) -> AsyncConn:
        loop = asyncio.get_running_loop()
        conn = AsyncConn(Conn(EventQueue(), **self.kwargs), loop)
        await conn.connect(*self.args)
        return conn

    async def __aenter__(self) -> AsyncConn:
        self.conn = await self._open()
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()


def connect(host: str, port: int, timeout: float = 5.0, **kwargs: Any) -> _Connector:
    """``await connect(...)`` or ``async with connect(...) as conn``."""
    return _Connector(host, port, timeout, kwargs)


__all__ = ["AsyncConn", "connect", "messages", "Request", "share_commit", "share_messages", "share_unsubscribe"]

# Readers installed on a loop for a client queue's descriptor, and how many
# users each has: messages(), share_messages() and the awaitable calls on
# one queue share one reader (add_reader would replace it).
_readers: dict = {}


def _watch(loop: asyncio.AbstractEventLoop, queue: EventQueue) -> None:
    key = (loop, queue.fileno())
    if key not in _readers:
        loop.add_reader(key[1], lambda: queue.poll(0))
        _readers[key] = 0
    _readers[key] += 1


def _unwatch(loop: asyncio.AbstractEventLoop, queue: EventQueue) -> None:
    key = (loop, queue.fileno())
    _readers[key] -= 1
    if _readers[key] == 0:
        del _readers[key]
        loop.remove_reader(key[1])


async def _consumed(client: Any, start: str) -> Any:
    """The messages each call of the library's consume function `start`
    (kfk_consume, kfk_share_consume) hands over, while the loop watches
    the queue's descriptor."""
    from . import _ffi

    loop = asyncio.get_running_loop()
    queue = client.queue
    consume = getattr(client._lib, start)
    _watch(loop, queue)
    try:
        while True:
            batch: list = []
            fut: asyncio.Future[Any] = loop.create_future()

            def on_event(kind: int, result: Any, error: Optional[KafkaError], batch: list = batch,
                         fut: "asyncio.Future[Any]" = fut) -> None:
                if kind == _ffi.EVENT_MESSAGE:
                    batch.append(result)
                    return
                queue.forget(tag)
                if fut.done():
                    return
                if error is not None:
                    fut.set_exception(error)
                else:
                    fut.set_result(None)

            tag = queue.register(on_event, persistent=True)
            code = consume(client.handle, None, tag)
            if code:
                queue.forget(tag)
                raise KafkaError(code)
            await fut
            for m in batch:
                yield m
    finally:
        _unwatch(loop, queue)


def messages(client: Any) -> Any:
    """Async iteration over a Client's consumed messages:

        async for msg in kfk.aio.messages(client):
            ...

    The queue's descriptor is watched with add_reader; each round asks the
    library for what it fetched (kfk_consume) without blocking the loop."""
    return _consumed(client, "kfk_consume")


def share_messages(client: Any) -> Any:
    """Async iteration over the records a Client's share subscription
    (Client.share_subscribe) hands over, as Client.share_consume returns
    them: each round asks the library for the next batch
    (kfk_share_consume), which in implicit mode accepts the previous one.
    Explicit mode: share_acknowledge each record before the next round."""
    return _consumed(client, "kfk_share_consume")


async def _call(client: Any, method: Any) -> Any:
    """Await method(callback=...) of client without blocking the loop."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Any] = loop.create_future()

    def done(result: Any, error: Optional[KafkaError]) -> None:
        if fut.done():
            return
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)

    _watch(loop, client.queue)
    try:
        method(callback=done)
        return await fut
    finally:
        _unwatch(loop, client.queue)


async def share_commit(client: Any) -> list:
    """Client.share_commit, awaited: [{topic, partition, error_code}]."""
    return await _call(client, client.share_commit)


async def share_unsubscribe(client: Any) -> None:
    """Client.share_unsubscribe, awaited."""
    await _call(client, client.share_unsubscribe)
