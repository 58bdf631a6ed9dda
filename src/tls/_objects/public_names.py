"""Module objects looked up at call time, as Node's lib/_tls_wrap.js does.

Node's ``tls.connect`` calls ``tls.createSecureContext(options)`` and takes
``tls.checkServerIdentity`` as the default, reading them off the ``tls``
module object when it runs; ``new TLSSocket``, ``server.setSecureContext``
and ``server.addContext`` do the same.  So a program or a library that
replaces ``tls.createSecureContext`` (Node's
test-tls-client-default-ciphers.js does) sees its replacement called.

Here the ``tls`` package's namespace is read at call time: one dict lookup
(``PUBLIC.get(name, own)``), with this layer's own function as the fallback
while the package has not resolved the name yet (tls/__init__.py resolves a
public name on first access and then stores it in its namespace, which is
also where an assignment ``tls.createSecureContext = f`` goes).  No import of
the package's __init__ from here: it is already in ``sys.modules`` whenever
this layer is loaded (a submodule is imported through its package).
"""
from __future__ import annotations

import sys
from typing import Any, Dict

__all__ = ["PUBLIC"]

#: the ``tls`` package's namespace (``tls.__dict__``), read at call time
PUBLIC: Dict[str, Any] = sys.modules[__name__.split(".", 1)[0]].__dict__
