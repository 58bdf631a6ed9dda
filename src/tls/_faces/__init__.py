"""Layer 6, the faces: other ways in, built on the TLS objects only.

``streams`` (asyncio's open_connection / start_server over tls), ``cli``
(``python -m tls``).
"""
