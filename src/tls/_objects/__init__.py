"""Layer 5, the TLS objects: Node's ``lib/_tls_wrap.js`` and ``lib/internal/tls/*.js``.

``tlssocket`` / ``server`` / ``connect`` (TLSSocket, tls.Server,
tls.connect), ``configure_context`` (createSecureContext, getCiphers),
``cert_object`` (getPeerCertificate's objects), ``x509``
(checkServerIdentity), ``legacy`` (SecurePair, CryptoStream), ``pki``
(throwaway keys and certificates).  Built on the runtime (layer 4) and the
protocol (layer 3).
"""
