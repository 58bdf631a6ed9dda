"""Layer 4, Node's runtime: events, timers and ``tls.run``, the stream rules, ``net``.

``events`` (EventEmitter), ``runtime`` (``tls.run``, showing ``loopstate``:
the loop, handles and nextTick, and ``timers``), ``stream`` (flowing and
paused modes, backpressure), ``net`` (the module) over ``socket``
(net.Socket, with ``connecting``, ``netargs`` and ``socket_protocol``) and
``net_server`` (net.Server), and ``aio`` (the awaitable methods of sockets
and servers).
Nothing of TLS: importing this layer does not load OpenSSL.
"""
