"""Two server processes sharing one Redis through RedisSessionStore resume each other's sessions:
TLS 1.2 session IDs and TLS 1.3 tickets, across ticket-key rotations.  Real clients (Python's
ssl), real redis-server, each server a Python process of its own (support.redis.StoreServer)."""
from __future__ import annotations

import redis.asyncio

from support.aio import async_test
from support.redis import StoreServer, close_client, eventually
from support.resume import ssl_client

SSL_OP_NO_TICKET = 0x00004000


async def session_keys(url: str) -> int:
    client = redis.asyncio.from_url(url)
    try:
        return len(await client.keys("tls:s:*"))
    finally:
        await close_client(client)


@async_test(timeout=30)
async def test_tls12_session_id_resumes_on_the_other_process(redis_server, pem_files, ca_pem):
    no_tickets = {"secureOptions": SSL_OP_NO_TICKET}
    async with StoreServer(redis_server.url, **pem_files, server=no_tickets) as a, \
            StoreServer(redis_server.url, **pem_files, server=no_tickets) as b:
        first = await ssl_client(a.port, ca_pem, "TLSv1.2")
        assert first.reused is False and not first.session.has_ticket and first.data == b"hello"

        async def stored() -> bool:
            return await session_keys(redis_server.url) == 1
        await eventually(stored, what="the session written into Redis by process A")
        second = await ssl_client(b.port, ca_pem, "TLSv1.2", first.session)
        assert second.reused is True and second.data == b"hello"
        assert (await b.expect("secure", reused=True))
        counters = await b.counters()
        assert counters["hits"] == 1 and counters["lookups"] == 1 and counters["failures"] == 0


@async_test(timeout=30)
async def test_tls13_ticket_resumes_on_the_other_process(redis_server, pem_files, ca_pem):
    async with StoreServer(redis_server.url, **pem_files) as a, StoreServer(redis_server.url, **pem_files) as b:
        await a.expect("ring", gen=1)
        await b.expect("ring", gen=1)
        first = await ssl_client(a.port, ca_pem, "TLSv1.3")
        assert first.reused is False and first.session.has_ticket
        second = await ssl_client(b.port, ca_pem, "TLSv1.3", first.session)
        assert second.reused is True
        # exactly one of them made the ring; TLS 1.3 sessions are not written (resumed from tickets only)
        ca, cb = await a.counters(), await b.counters()
        assert sorted([ca["rotations"], cb["rotations"]]) == [0, 1]
        assert ca["stores"] == 0 and ca["tls13_not_stored"] >= 1


@async_test(timeout=30)
async def test_rotation_is_picked_up_and_old_tickets_live_keep_rotations(redis_server, pem_files, ca_pem):
    store = {"poll_every": 0.05, "keep": 1}
    async with StoreServer(redis_server.url, **pem_files, store=store) as a, \
            StoreServer(redis_server.url, **pem_files, store=store) as b:
        await a.expect("ring", gen=1)
        await b.expect("ring", gen=1)
        old = await ssl_client(a.port, ca_pem, "TLSv1.3")
        assert await a.rotate() == 2
        await b.expect("ring", gen=2, rotated=False)           # picked up by polling, no restart
        assert (await ssl_client(b.port, ca_pem, "TLSv1.3", old.session)).reused is True
        new = await ssl_client(b.port, ca_pem, "TLSv1.3")
        assert await b.rotate() == 3
        await a.expect("ring", gen=3, rotated=False)
        # keep=1: a ticket lives through one rotation, not two
        assert (await ssl_client(a.port, ca_pem, "TLSv1.3", old.session)).reused is False
        assert (await ssl_client(a.port, ca_pem, "TLSv1.3", new.session)).reused is True


@async_test(timeout=30)
async def test_a_ticket_under_a_fresh_key_resumes_where_nobody_polled_yet(redis_server, pem_files, ca_pem):
    """The next key is handed out one rotation ahead: B, which never polls again, still opens A's
    tickets made right after A rotated."""
    async with StoreServer(redis_server.url, **pem_files) as a, \
            StoreServer(redis_server.url, **pem_files, store={"poll_every": 3600}) as b:
        await a.expect("ring", gen=1)
        await b.expect("ring", gen=1)
        assert await a.rotate() == 2
        fresh = await ssl_client(a.port, ca_pem, "TLSv1.3")
        assert (await b.counters())["generation"] == 1
        assert (await ssl_client(b.port, ca_pem, "TLSv1.3", fresh.session)).reused is True
