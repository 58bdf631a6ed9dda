"""Callbacks into Python: extern "Python" (never ffi.callback); bodies registered with
tls._callbacks.openssl_callback in the feature modules.  Hooks that never need Python
(verify, passphrase, ticket keys, ALPN/NPN selection, OCSP stapling, SNI servername,
renegotiation counting) are plain C in csrc/ instead; a feature area may declare an
extern of its own next to its C helpers (see ocsp_kx_reneg.py)."""
INCLUDES = ""
TYPES = ""
FUNCTIONS = """
extern "Python" void _tls_keylog_cb(const SSL *, const char *);
extern "Python" int _tls_client_hello_cb(SSL *, int *, void *);
extern "Python" int _tls_new_session_cb(SSL *, SSL_SESSION *);
extern "Python" unsigned int _tls_psk_server_cb(SSL *, const char *, unsigned char *, unsigned int);
extern "Python" unsigned int _tls_psk_client_cb(SSL *, const char *, char *, unsigned int, unsigned char *, unsigned int);
"""
CUSTOMIZATIONS = ""
