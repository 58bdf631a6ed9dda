"""Layer 4, Node's runtime: events, timers and ``tls.run``, the stream rules, ``net``.

``events`` (EventEmitter), ``runtime`` (the loop, nextTick, timers, what
keeps ``tls.run`` alive), ``stream`` (flowing and paused modes,
backpressure), ``net`` / ``net_server`` (net.Socket and net.Server on
asyncio) and ``aio`` (the awaitable methods of sockets and servers).
Nothing of TLS: importing this layer does not load OpenSSL.
"""
