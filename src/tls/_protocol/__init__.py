"""Layer 3, the protocol: per-connection TLS features over the engine.

Hello parsing and the SNI / ALPN / NPN callbacks (``negotiation``), sessions
and ticket keys (``sessions``), OCSP stapling (``ocsp``), renegotiation
limits (``renegotiation``), ephemeral keys and DH sizes (``keyexchange``),
PSK, keylog and the other per-connection extras (``extras``).  Each feature
registers its OpenSSL hooks through the binding's callback guard and talks to
the connection that owns it; nothing here knows the event loop, sockets or
servers beyond that connection.
"""
