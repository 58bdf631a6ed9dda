"""tls.connect: Node's connect of lib/internal/tls/wrap.js.

Normalises the arguments, applies Node's defaults (rejectUnauthorized from
NODE_TLS_REJECT_UNAUTHORIZED, DEFAULT_CIPHERS, checkServerIdentity,
minDHSize 1024), builds the client TLSSocket and connects it, or wraps the
given ``socket``; at 'secure' the client verifies the server (chain, then
checkServerIdentity) and emits 'secureConnect' (Node's onConnectSecure).
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Dict, Tuple

from .._base.error_kinds import call_site
from .._base.errors import NodeRangeError, NodeTypeError
from .._base.options import TLS_CONNECT
from .._base.validators import received as _received
from .._engine.context import _live_default
from .._node.netargs import _normalize_connect_args
from .._protocol import keyexchange as _keyexchange
from .._protocol import negotiation as _negotiation
from . import x509 as _x509
from .configure_context import createSecureContext
from .public_names import PUBLIC
from .tlssocket import _HIGH_WATER_MARKS, TLSSocket

__all__ = ["connect"]

_warned_reject_unauthorized = False


def _allow_unauthorized() -> bool:
    """Node's getAllowUnauthorized(): NODE_TLS_REJECT_UNAUTHORIZED=0 turns verification off."""
    global _warned_reject_unauthorized
    allow = os.environ.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0"
    if allow and not _warned_reject_unauthorized:
        _warned_reject_unauthorized = True
        warnings.warn("Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS "
                      "connections and HTTPS requests insecure by disabling certificate verification.",
                      RuntimeWarning, stacklevel=3)
    return allow


def connect(*args: Any, **kwargs: Any) -> TLSSocket:
    """tls.connect(options[, cb]) or tls.connect(port[, host][, options][, cb])."""
    options, cb = _normalize_connect_args(args, kwargs, TLS_CONNECT, "connect")
    # None stands for JavaScript's undefined: the defaults apply.
    # tls.checkServerIdentity / tls.DEFAULT_CIPHERS as the module has them now (public_names.py)
    defaults = {"rejectUnauthorized": not _allow_unauthorized(), "ciphers": _live_default("DEFAULT_CIPHERS"),
                "checkServerIdentity": PUBLIC.get("checkServerIdentity", _x509.checkServerIdentity),
                "minDHSize": 1024}
    for key, value in defaults.items():
        if options.get(key) is None:
            options[key] = value
    if not callable(options["checkServerIdentity"]):
        raise NodeTypeError('The "options.checkServerIdentity" property must be of type function. %s'
                            % _received(options["checkServerIdentity"]), "ERR_INVALID_ARG_TYPE")
    min_dh = options["minDHSize"]
    if not isinstance(min_dh, (int, float)) or isinstance(min_dh, bool):
        raise NodeTypeError('The "options.minDHSize" property must be of type number. %s' % _received(min_dh),
                            "ERR_INVALID_ARG_TYPE")
    if not min_dh > 0:
        raise NodeRangeError('The value of "options.minDHSize" is out of range. It must be > 0. Received %r'
                             % (min_dh,), "ERR_OUT_OF_RANGE")

    context = options.get("secureContext")
    if context is None:
        # tls.createSecureContext as the module has it now (public_names.py)
        context = PUBLIC.get("createSecureContext", createSecureContext)(options)
    tlssock = TLSSocket(options.get("socket"), {
        "allowHalfOpen": options.get("allowHalfOpen"),
        **{name: options[name] for name in _HIGH_WATER_MARKS if name in options},
        "secureContext": context,
        "isServer": False,
        "requestCert": True,
        "rejectUnauthorized": options["rejectUnauthorized"] is not False,
        "session": options.get("session"),
        "ALPNProtocols": options.get("ALPNProtocols"),
        "NPNProtocols": options.get("NPNProtocols"),
        "requestOCSP": options.get("requestOCSP"),
        "pskCallback": options.get("pskCallback"),
        "enableTrace": options.get("enableTrace"),
        "signal": options.get("signal"),
        "onread": options.get("onread"),
    })
    options["rejectUnauthorized"] = options["rejectUnauthorized"] is not False
    tlssock._connect_options = options
    if cb is not None:
        tlssock.once("secureConnect", cb)
    if not options.get("socket"):
        # We create and connect the socket ourselves.
        if options.get("timeout"):
            tlssock.setTimeout(options["timeout"])
        tlssock.connect(options)
    tlssock._releaseControl()
    servername = _negotiation.connect_servername(options)
    if servername is not None:
        tlssock.setServername(servername)
    if options.get("socket"):
        # (tlssock.connect() records it otherwise) named by a note on the errors emitted later
        tlssock._call_site = call_site()
        tlssock._start()
    tlssock.on("secure", lambda: _on_connect_secure(tlssock))
    return tlssock


# The default checkServerIdentity's successes, by (hostname, the server certificate's DER): its
# verdict depends on nothing else (the subject's CN and the altnames), and a client reconnecting to
# the same server would rebuild them and match again on every handshake (~115 Python calls, issue
# 14); reading the DER is one C call and a copy.  Failures are not kept (each error is made afresh,
# with its .cert).  Bounded: cleared when full.
_IDENTITY_OK: Dict[Tuple[str, bytes], bool] = {}
_IDENTITY_OK_MAX = 256


def _on_connect_secure(sock: TLSSocket) -> None:
    """Node's onConnectSecure (a 'secure' listener set by tls.connect)."""
    options = sock._connect_options or {}
    dh_error = _keyexchange.min_dh_size_error(sock._conn, options)
    if dh_error is not None:
        sock.emit("error", dh_error)  # ERR_TLS_DH_PARAM_SIZE, then destroyed without an error
        sock.destroy()
        return
    err: Any = sock._verify_error()
    if err is None and not sock.isSessionReused():
        parent = sock._parent
        hostname = options.get("servername") or options.get("host") or \
            getattr(parent, "_host", None) or "localhost"
        check = options.get("checkServerIdentity")
        if check is None or check is _x509.checkServerIdentity:
            # Node's default check reads only the subject and altnames: build
            # the whole detailed certificate only for an error's .cert
            engine = sock._conn.engine
            key = None
            if engine is not None and type(hostname) is str:
                der = engine.peer_leaf_der()
                key = (hostname, der) if der is not None else None
            if key is not None and key in _IDENTITY_OK:
                err = None
            else:
                identity = _x509.peer_identity(engine.ssl) if engine is not None else None
                err = _x509.checkServerIdentity(hostname, identity if identity is not None
                                                else sock.getPeerCertificate(True))
                if err is not None and identity is not None:
                    err.cert = sock.getPeerCertificate(True)
                if err is None and key is not None:
                    if len(_IDENTITY_OK) >= _IDENTITY_OK_MAX:
                        _IDENTITY_OK.clear()
                    _IDENTITY_OK[key] = True
        else:
            err = check(hostname, sock.getPeerCertificate(True))
    if err:
        sock.authorized = False
        sock.authorizationError = getattr(err, "code", None) or getattr(err, "message", None) or str(err)
        if options.get("rejectUnauthorized") is not False:
            sock.destroy(err)
            return
    else:
        sock.authorized = True
    sock.secureConnecting = False
    # Verified: writable now, as in Node, where a write in a 'secureConnect'
    # listener goes out at once (with the last handshake flight), so
    # write() + destroy() there still delivers the data.  (Writes queued
    # before the handshake go first; they never reach a rejected server.)
    if not sock.destroyed and sock._conn.engine is not None:
        sock._set_ready()
    sock.emit("secureConnect")

