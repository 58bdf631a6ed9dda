"""Callbacks into Python: extern "Python" (never ffi.callback); bodies in tls/_callbacks.py."""
INCLUDES = ""
TYPES = ""
FUNCTIONS = """
extern "Python" void _tls_info_cb(const SSL *, int, int);
extern "Python" void _tls_keylog_cb(const SSL *, const char *);
extern "Python" int _tls_client_hello_cb(SSL *, int *, void *);
extern "Python" int _tls_servername_cb(SSL *, int *, void *);
extern "Python" int _tls_cert_cb(SSL *, void *);
extern "Python" int _tls_status_cb(SSL *, void *);
extern "Python" int _tls_new_session_cb(SSL *, SSL_SESSION *);
extern "Python" SSL_SESSION *_tls_get_session_cb(SSL *, const unsigned char *, int, int *);
extern "Python" int _tls_alpn_select_cb(SSL *, const unsigned char **, unsigned char *, const unsigned char *, unsigned int, void *);
extern "Python" int _tls_npn_advertise_cb(SSL *, const unsigned char **, unsigned int *, void *);
extern "Python" int _tls_npn_select_cb(SSL *, unsigned char **, unsigned char *, const unsigned char *, unsigned int, void *);
extern "Python" unsigned int _tls_psk_server_cb(SSL *, const char *, unsigned char *, unsigned int);
extern "Python" unsigned int _tls_psk_client_cb(SSL *, const char *, char *, unsigned int, unsigned char *, unsigned int);
"""
CUSTOMIZATIONS = ""
