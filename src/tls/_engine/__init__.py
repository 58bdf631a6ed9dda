"""Layer 2, the engine: OpenSSL objects with Python lifetimes, sans-IO.

``engine.TLSEngine`` is one ``SSL*`` between memory BIOs (bytes in, bytes
out, no event loop); ``context.SecureContext`` is the native ``SSL_CTX``
behind ``tls.SecureContext`` (its keys, certificates, PKCS#12 and CA/CRL
stores are read by ``credentials``), with the system roots
(``root_certificates``, ``ca_store``) it trusts by default.  Imports the binding and the base only.
"""
