"""``RedisSessionStore``: the session store of base.py on Redis, through redis-py's asyncio client.

redis-py (``pip install 'tls[redis]'``) is imported when a store is made, never by ``import tls``
or ``import tls.stores``.

What lives in Redis (``prefix`` defaults to ``"tls:"``):

* ``<prefix>s:<session id in hex>`` -- a TLS 1.2 session (DER, as ``'newSession'`` gives it),
  ``SET ... PX <sessionTimeout in ms>``: Redis forgets it when the server would refuse it anyway.
* ``<prefix>ticket-ring`` -- a hash: ``gen`` (the generation, 1 for the first ring), ``at`` (when
  it was made, Redis's clock in ms), ``keys`` (48-byte keys back to back: current, next,
  previous...).  One Lua script (:data:`RING_SCRIPT`) reads it, makes it when missing and rotates
  it when due: Redis runs a script atomically, so of many processes that find the ring due at
  the same time exactly one rotates and every other one reads the new ring; the clock is Redis's
  (``TIME``), so machines with skewed clocks agree on when a rotation is due.

Both are secrets: a session holds its master secret and the keys open every ticket.  Give the
servers a Redis of their own (ACLs, TLS to Redis, no persistence if it is not needed).
"""
from __future__ import annotations

import os
from typing import Any, Callable, List, Optional, Tuple

from ..._base.errors import NodeError, NodeTypeError
from ..._base.validators import received as _received
from .base import SessionStore, take_store_options

__all__ = ["RedisSessionStore", "RING_SCRIPT"]

#: KEYS[1]: the ring's hash; ARGV: two fresh random keys (96 bytes), keep, rotate_every (ms),
#: force ("1" or "0").  Returns {generation, keys, 1 if this call made or rotated the ring}.
RING_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fresh = ARGV[1]
local keep = tonumber(ARGV[2])
local every = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'gen', 'at', 'keys')
local gen, at, keys = tonumber(state[1]), tonumber(state[2]), state[3]
if not gen or not at or not keys or string.len(keys) < 96 or string.len(keys) % 48 ~= 0 then
  gen = 1
  keys = fresh
elseif ARGV[4] == '1' or now - at >= every then
  local current = string.sub(keys, 1, 48)
  local next_key = string.sub(keys, 49, 96)
  local previous = string.sub(keys, 97)
  keys = string.sub(next_key .. string.sub(fresh, 1, 48) .. current .. previous, 1, 48 * (2 + keep))
  gen = gen + 1
else
  return {gen, keys, 0}
end
redis.call('HSET', KEYS[1], 'gen', gen, 'at', now, 'keys', keys)
return {gen, keys, 1}
"""


def _import_redis() -> Any:
    """redis-py's modules the store uses, imported on first use: an optional dependency, so the
    one place it is imported is here, when a store is made (not an import cycle dodged)."""
    try:
        import redis.asyncio
        import redis.asyncio.retry
        import redis.backoff
        import redis.exceptions
    except ImportError as exc:
        raise NodeError("RedisSessionStore needs redis-py (redis>=4.2): pip install 'tls[redis]'",
                        "ERR_MODULE_NOT_FOUND") from exc
    return redis


class RedisSessionStore(SessionStore):
    """Sessions and ticket keys shared through Redis.

    ``RedisSessionStore(url="redis://127.0.0.1:6379/0", *, client=None, prefix="tls:",
    timeout=0.15, write_timeout=1.0, rotate_every=43200, keep=2, poll_every=5, retry_after=1,
    session_timeout=None, tickets=True)``; times in seconds.  ``client``: an existing
    ``redis.asyncio.Redis`` (made with ``decode_responses=False``), left open by :meth:`close`;
    without it the store makes one from ``url`` with no retries (the store's own timeouts and
    back-off decide) and closes it.  See tls/_faces/stores/base.py for what the store does.
    """

    def __init__(self, url: Optional[str] = None, **options: Any) -> None:
        opts = take_store_options("RedisSessionStore", options, {"client": None, "prefix": "tls:"})
        super().__init__(opts)
        prefix = opts["prefix"]
        if not isinstance(prefix, str):
            raise NodeTypeError('The "prefix" option must be of type string. %s' % _received(prefix),
                                "ERR_INVALID_ARG_TYPE")
        self._prefix = prefix
        redis = _import_redis()
        self._exceptions = redis.exceptions
        client = opts["client"]
        self._make_client: Optional[Callable[[], Any]] = None
        if client is None:
            if url is None:
                url = "redis://127.0.0.1:6379/0"
            if not isinstance(url, str):
                raise NodeTypeError('The "url" argument must be of type string. %s' % _received(url),
                                    "ERR_INVALID_ARG_TYPE")
            connect_timeout = max(opts["timeout"], opts["write_timeout"])

            def make_client() -> Any:
                # no retries inside redis-py: a failed command fails at once, the store decides what next
                return redis.asyncio.from_url(
                    url, decode_responses=False, socket_connect_timeout=connect_timeout,
                    socket_timeout=opts["write_timeout"],
                    retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0), health_check_interval=0)

            # made on first use, inside the running loop: on Python 3.9 redis-py's pool binds its
            # asyncio.Lock to the loop current when it is made, so a store made before tls.run /
            # asyncio.run must not make it yet
            self._make_client = make_client
            self._owns_client = True
        else:
            if url is not None:
                raise NodeTypeError("RedisSessionStore takes a url or a client=, not both", "ERR_INVALID_ARG_VALUE")
            if not isinstance(client, redis.asyncio.Redis):
                raise NodeTypeError('The "client" option must be an instance of redis.asyncio.Redis. %s'
                                    % _received(client), "ERR_INVALID_ARG_TYPE")
            if client.connection_pool.connection_kwargs.get("decode_responses"):
                raise NodeTypeError("The client must be made with decode_responses=False (sessions are bytes)",
                                    "ERR_INVALID_ARG_VALUE")
            self._owns_client = False
        self._client: Any = client
        self._ring_script: Any = None

    @property
    def client(self) -> Any:
        """The ``redis.asyncio.Redis`` client (the one given, or the store's own, made on first use)."""
        if self._client is None:
            assert self._make_client is not None
            self._client = self._make_client()
        return self._client

    def __repr__(self) -> str:
        return "<RedisSessionStore %s gen=%d up=%s>" % (self._prefix, self._generation, self._up)

    # -- the backend of SessionStore --------------------------------------------------------

    def _error_kind(self, exc: BaseException) -> str:
        errors = self._exceptions
        if isinstance(exc, errors.TimeoutError):
            return "timeout"
        if isinstance(exc, errors.ConnectionError):
            return "connection"
        if isinstance(exc, errors.ResponseError):
            return "response"
        return super()._error_kind(exc)

    async def _get(self, session_id: bytes) -> Optional[bytes]:
        value = await self.client.get(self._prefix + "s:" + session_id.hex())
        return None if value is None else bytes(value)

    async def _set(self, session_id: bytes, data: bytes, ttl_ms: int) -> None:
        await self.client.set(self._prefix + "s:" + session_id.hex(), data, px=max(ttl_ms, 1))

    async def _sync_ring(self, candidate: bytes, force: bool) -> Tuple[int, List[bytes], bool]:
        fresh = candidate + os.urandom(48)
        if self._ring_script is None:
            self._ring_script = self.client.register_script(RING_SCRIPT)
        gen, keys, changed = await self._ring_script(
            keys=[self._prefix + "ticket-ring"],
            args=[fresh, self._keep, int(self._rotate_every * 1000), "1" if force else "0"])
        keys = bytes(keys)
        if len(keys) % 48 or not 96 <= len(keys) <= 48 * 8:
            raise ValueError("the ticket ring in Redis is %d bytes, not 2 to 8 keys of 48" % len(keys))
        return int(gen), [keys[i:i + 48] for i in range(0, len(keys), 48)], bool(int(changed))

    async def _close_backend(self) -> None:
        client = self._client
        if not self._owns_client or client is None:
            return
        close = getattr(client, "aclose", None) or client.close   # aclose: redis-py >= 5.0.1
        await close()
        await client.connection_pool.disconnect()
