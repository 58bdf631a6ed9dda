"""Layer 6, the faces: other ways in, built on the TLS objects only.

``streams`` (asyncio's open_connection / start_server over tls, on the
``TLSTransport`` and ``SSLObjectView`` of ``transport``), ``aio``
(``tls.connectAsync``), ``cli`` (``python -m tls``).
"""
