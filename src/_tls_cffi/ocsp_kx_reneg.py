"""Declarations for tls/_ocsp.py, tls/_keyexchange.py, tls/_renegotiation.py
(csrc/ocsp_stapling.c, csrc/keyexchange.c, csrc/renegotiation.c)."""
INCLUDES = ""
TYPES = ""
FUNCTIONS = """
/* csrc/ocsp_stapling.c */
int tls_ocsp_server_enable(SSL *);
int tls_ocsp_client_enable(SSL *);
int tls_ocsp_state(const SSL *);
void tls_ocsp_set_state(SSL *, int);
int tls_ocsp_done(SSL *, const unsigned char *, size_t);
long tls_ocsp_take_response(SSL *, const unsigned char **);

/* csrc/keyexchange.c */
int tls_ephemeral_key_info(SSL *, int *, char *, size_t);

/* csrc/renegotiation.c: the C info callback calls this only for renegotiations */
extern "Python+C" void _tls_reneg_event(SSL *, int);
int tls_reneg_enable(SSL *);
void tls_reneg_release(SSL *);
"""
CUSTOMIZATIONS = ""
