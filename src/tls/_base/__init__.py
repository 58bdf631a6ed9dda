"""Layer 0, the base: plain Python every layer above may use, and nothing below it.

Node's error classes (``errors``), its argument validators (``validators``),
the option-key rule (``options``), Buffer/encoding helpers (``encoding``),
error-first callbacks (``nodeargs``), the snake_case aliases (``aliases``) and
the tls module's defaults (``constants``).  No OpenSSL, no event loop.
"""
