"""RedisSessionStore when Redis is killed, restarted or stops answering, and its lifecycle:
handshakes always complete, failures are counted and emitted (never raised), the store comes
back by itself, its timers never keep ``tls.run`` alive.  In-process server, real redis-server,
Python's ssl as the client."""
from __future__ import annotations

import asyncio
import time
from typing import Any, List

import pytest
import redis.asyncio

import tls
from support.aio import async_test, run_guarded, when
from support.loopback import free_port, listen
from support.redis import close_client, eventually
from support.resume import ssl_client, ssl_client_sync
from tls.stores import RedisSessionStore

SSL_OP_NO_TICKET = 0x00004000
FAST = {"timeout": 0.1, "retry_after": 0.2, "poll_every": 0.05}


def id_server(server_options: dict) -> Any:
    """TLS 1.2 session IDs only (no tickets): every resumption goes through the store."""
    return tls.createServer({**server_options, "secureOptions": SSL_OP_NO_TICKET, "sessionIdContext": "t"},
                            lambda s: s.end("hello"))


@async_test(timeout=30)
async def test_killed_then_restarted_redis(redis_server, server_options, ca_pem):
    store = RedisSessionStore(redis_server.url, **FAST)
    failures: List[Any] = []
    store.on("failure", failures.append)
    server = id_server(server_options)
    store.attach(server)
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] == 1), what="the session stored")
        assert (await ssl_client(port, ca_pem, "TLSv1.2", first.session)).reused is True

        down = when(store, "down")
        redis_server.kill()
        during = await ssl_client(port, ca_pem, "TLSv1.2", first.session)
        assert during.reused is False and during.data == b"hello"      # a full handshake, not a failure
        (err,) = await down
        assert err.code in ("ERR_SESSION_STORE_CONNECTION", "ERR_SESSION_STORE_TIMEOUT")
        assert failures and all(f.code.startswith("ERR_SESSION_STORE_") for f in failures)
        for _ in range(3):   # while down, lookups are skipped at once
            assert (await ssl_client(port, ca_pem, "TLSv1.2", first.session)).data == b"hello"
        counters = store.counters()
        assert counters["up"] is False and counters["failures"] >= 1 and sum(counters["errors"].values()) >= 1
        assert counters["hits"] == 1 and counters["lookups"] == 5   # the four lookups while down: no hit
        # each failure counted once: a lookup that failed (or timed out), a ring poll, a write
        lookup_failures = counters["lookups"] - counters["hits"] - counters["misses"] - counters["skipped"]
        assert lookup_failures >= 1
        assert counters["failures"] == sum(counters["errors"].values()) == len(failures) \
            == lookup_failures + counters["ring_failures"] + counters["store_failures"]

        ring_before = server.getTicketKeyRing()
        up = when(store, "up")
        redis_server.start()           # same port, empty: the store finds it by itself
        await up
        # re-synced: the poll made a new ring in the empty Redis, and the server took it
        client = redis.asyncio.from_url(redis_server.url)
        try:
            keys = await client.hget("tls:ticket-ring", "keys")
        finally:
            await close_client(client)
        await eventually(lambda: _true(server.getTicketKeyRing() != ring_before), what="the new ring applied")
        assert b"".join(server.getTicketKeyRing()) == keys
        again = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] >= 2), what="the session stored again")
        assert (await ssl_client(port, ca_pem, "TLSv1.2", again.session)).reused is True
    finally:
        server.close()
        await store.close()


async def _true(value: bool) -> bool:
    """A condition for :func:`eventually` that needs no await."""
    return value


@async_test(timeout=30)
async def test_a_paused_redis_costs_a_handshake_at_most_the_timeout(redis_server, server_options, ca_pem):
    store = RedisSessionStore(redis_server.url, timeout=0.15, retry_after=0.0, poll_every=60)
    server = id_server(server_options)
    store.attach(server)
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] == 1), what="the session stored")
        redis_server.pause()
        try:
            for _ in range(2):
                slow = await ssl_client(port, ca_pem, "TLSv1.2", first.session)
                assert slow.reused is False and slow.data == b"hello"
                assert slow.seconds < 0.15 + 0.35, slow.seconds
            counters = store.counters()
            assert counters["timeouts"] == 2 and counters["errors"] == {"timeout": 2}
        finally:
            redis_server.resume()
    finally:
        server.close()
        await store.close()


def test_redis_down_from_the_start_and_timers_do_not_hold_tls_run(server_options, ca_pem):
    """No Redis at all: the server keeps its own ring, handshakes complete, and tls.run ends when the
    server closes although the store's poll timer is still set."""
    url = "redis://127.0.0.1:%d/0" % free_port()
    seen: List[Any] = []

    def main() -> None:
        store = RedisSessionStore(url, **FAST)
        store.on("failure", seen.append)
        server = id_server(server_options)
        ring = server.getTicketKeyRing()
        store.attach(server)

        def on_listening() -> None:
            port = server.address()["port"]
            loop = tls._node.runtime.get_loop()
            fut = loop.run_in_executor(None, ssl_client_sync, port, ca_pem, "TLSv1.2")

            def done(f: Any) -> None:
                seen.append(f.result())
                assert server.getTicketKeyRing() == ring    # still its own
                server.close()
            fut.add_done_callback(lambda f: loop.call_soon(done, f))
        server.listen(0, "127.0.0.1", on_listening)

    started = time.monotonic()
    run_guarded(main, limit=10)
    assert time.monotonic() - started < 5
    results = [s for s in seen if not isinstance(s, BaseException)]
    assert results[-1].data == b"hello"
    assert any(isinstance(s, tls.errors.NodeError) and s.code == "ERR_SESSION_STORE_CONNECTION" for s in seen)


@async_test(timeout=30)
async def test_scheduled_rotation_is_done_once_per_period(redis_server, server_options):
    stores = [RedisSessionStore(redis_server.url, rotate_every=0.2, poll_every=0.02) for _ in range(3)]
    servers = [tls.createServer(server_options) for _ in stores]
    for store, server in zip(stores, servers):
        store.attach(server)
    try:
        await eventually(lambda: _true(all(s.generation >= 4 for s in stores)), what="three rotations", limit=10)
        gens = [s.generation for s in stores]
        rings = [srv.getTicketKeyRing() for srv in servers]
        made = sum(s.counters()["rotations"] for s in stores)
        # each generation was made by exactly one store (a few may be ahead by the time they are read)
        assert made == max(gens)
        top = gens.index(max(gens))
        assert len(rings[top]) == 2 + 2 and all(srv.getTicketKeys() in rings[top] for srv in servers)
    finally:
        for store in stores:
            await store.close()


@async_test()
async def test_detach_and_close_release_the_server(redis_server, server_options):
    server = tls.createServer(server_options)
    before = {e: server.listenerCount(e) for e in ("newSession", "resumeSession", "connection")}
    store = RedisSessionStore(redis_server.url)
    store.attach(server)
    assert server.listenerCount("newSession") == before["newSession"] + 1
    with pytest.raises(tls.errors.NodeError) as info:
        store.attach(server)
    assert info.value.code == "ERR_INVALID_STATE"
    await store.sync()
    assert len(server.getTicketKeyRing()) == 2 and store.generation == 1   # current and next, no previous yet
    store.detach(server)
    assert {e: server.listenerCount(e) for e in before} == before
    store.attach(server)
    await store.close()
    assert {e: server.listenerCount(e) for e in before} == before
    with pytest.raises(tls.errors.NodeError):
        store.attach(server)


@async_test()
async def test_new_contexts_get_the_ring_before_their_first_handshake(redis_server, server_options, ca_pem):
    server = tls.createServer(server_options, lambda s: s.end("hello"))
    store = RedisSessionStore(redis_server.url)
    store.attach(server)
    await store.sync()
    ring = server.getTicketKeyRing()
    server.setSecureContext(server_options)        # a certificate reload: a new context, random keys
    sni = tls.createSecureContext(server_options)
    server.addContext("localhost", sni)
    assert server.getTicketKeyRing() != ring
    port = await listen(server)
    try:
        await ssl_client(port, ca_pem, "TLSv1.3")
        assert server.getTicketKeyRing() == ring and sni.getTicketKeyRing() == ring
    finally:
        server.close()
        await store.close()


def test_options_are_checked():
    with pytest.raises(TypeError) as info:
        RedisSessionStore(timout=1)
    assert info.value.code == "ERR_INVALID_ARG_VALUE" and "Did you mean 'timeout'" in str(info.value)
    with pytest.raises(TypeError) as info:
        RedisSessionStore(timeout="1")
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(tls.errors.NodeError) as info:
        RedisSessionStore(keep=7)
    assert info.value.code == "ERR_OUT_OF_RANGE"
    with pytest.raises(TypeError) as info:
        RedisSessionStore(client=object())
    assert info.value.code == "ERR_INVALID_ARG_TYPE"


@async_test()
async def test_a_client_is_checked():
    # (made inside a loop: on Python 3.9 redis-py's pool binds to the loop current when it is made)
    with pytest.raises(TypeError) as info:
        RedisSessionStore(client=redis.asyncio.Redis(decode_responses=True))
    assert info.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(TypeError) as info:
        RedisSessionStore("redis://x", client=redis.asyncio.Redis())
    assert info.value.code == "ERR_INVALID_ARG_VALUE"


def test_a_store_made_before_the_loop_works_inside_tls_run(redis_server, server_options, ca_pem):
    """The usual script shape: the store made at the top, used under tls.run (on 3.9 too)."""
    store = RedisSessionStore(redis_server.url)
    seen: List[Any] = []

    async def main() -> None:
        server = id_server(server_options)
        store.attach(server)
        seen.append(await store.sync())
        port = await listen(server)
        first = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] == 1), what="the session stored")
        seen.append((await ssl_client(port, ca_pem, "TLSv1.2", first.session)).reused)
        server.close()
        await store.close()

    run_guarded(main, limit=15)
    assert seen == [1, True]


@async_test()
async def test_an_existing_client_is_used_and_left_open(redis_server, server_options, ca_pem):
    client = redis.asyncio.from_url(redis_server.url)
    store = RedisSessionStore(client=client, prefix="other:")
    server = id_server(server_options)
    store.attach(server)
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] == 1), what="the session stored")
        assert len(await client.keys("other:s:*")) == 1 and await client.exists("other:ticket-ring")
    finally:
        server.close()
        await store.close()
    assert await client.ping()      # still open: it is the caller's
    await close_client(client)
    assert first.data == b"hello"


@async_test()
async def test_tickets_only_mode_never_asks_redis_during_a_handshake(redis_server, server_options, ca_pem):
    server = tls.createServer({**server_options, "sessionIdContext": "t"}, lambda s: s.end("hello"))
    store = RedisSessionStore(redis_server.url, sessions=False)
    store.attach(server)
    assert server.listenerCount("resumeSession") == 0 and server.listenerCount("newSession") == 0
    await store.sync()
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, "TLSv1.3")
        assert (await ssl_client(port, ca_pem, "TLSv1.3", first.session)).reused is True
        counters = store.counters()
        assert counters["lookups"] == 0 and counters["stores"] == 0 and counters["generation"] == 1
    finally:
        server.close()
        await store.close()


@async_test(timeout=30)
async def test_close_during_a_lookup_answers_it(redis_server, server_options, ca_pem):
    """close() while a lookup waits on a Redis that does not answer: the handshake goes on at once
    (a full one), it does not wait for the lookup's timeout."""
    store = RedisSessionStore(redis_server.url, timeout=10.0, poll_every=60)
    server = id_server(server_options)
    store.attach(server)
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, "TLSv1.2")
        await eventually(lambda: _true(store.counters()["stores"] == 1), what="the session stored")
        redis_server.pause()
        try:
            pending = asyncio.ensure_future(ssl_client(port, ca_pem, "TLSv1.2", first.session))
            await eventually(lambda: _true(store.counters()["lookups"] == 1), what="the lookup started")
            await store.close()
            result = await asyncio.wait_for(pending, 5)
            assert result.reused is False and result.data == b"hello" and result.seconds < 5
            assert server.listenerCount("resumeSession") == 0
        finally:
            redis_server.resume()
    finally:
        server.close()
        await store.close()
