"""Declarations for tls._negotiation (csrc/negotiation.c): ALPN, ALPNCallback, NPN, SNI."""
INCLUDES = ""
TYPES = """
static const int OPENSSL_NPN_UNSUPPORTED;
"""
FUNCTIONS = """
int tls_neg_enable_hello(SSL *);
void tls_neg_hello_done(SSL *);
int tls_neg_set_alpn_protos(SSL *, const unsigned char *, unsigned int, int);
int tls_neg_enable_alpn_callback(SSL *);
void tls_neg_set_alpn_choice(SSL *, int);
int tls_neg_set_npn_protos(SSL *, const unsigned char *, unsigned int, int);
int tls_neg_npn_protocol(SSL *, const unsigned char **, unsigned int *);
int tls_neg_server_init(SSL *);
int tls_neg_use_sni_context(SSL *, SSL_CTX *);
"""
CUSTOMIZATIONS = ""
