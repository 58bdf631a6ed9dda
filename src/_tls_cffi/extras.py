"""Declarations for tls._extras (PSK, keylog, sigalgs, exporters; Node 20 additions)."""
INCLUDES = """
#include <openssl/objects.h>
#include <openssl/ssl.h>
"""
TYPES = """
static const int NID_auth_psk;
static const int NID_ED25519;
static const int NID_ED448;
static const int PSK_MAX_IDENTITY_LEN;
static const int PSK_MAX_PSK_LEN;
"""
FUNCTIONS = """
void SSL_set_psk_server_callback(SSL *, unsigned int (*)(SSL *, const char *, unsigned char *, unsigned int));
void SSL_set_psk_client_callback(SSL *, unsigned int (*)(SSL *, const char *, char *, unsigned int, unsigned char *, unsigned int));
int SSL_use_psk_identity_hint(SSL *, const char *);
int SSL_CIPHER_get_auth_nid(const SSL_CIPHER *);
void (*SSL_CTX_get_keylog_callback(const SSL_CTX *))(const SSL *, const char *);
"""
CUSTOMIZATIONS = ""
