"""Declarations used by tls._secure_context / tls._root_certificates (and csrc/context_helpers.c)."""
INCLUDES = """
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
"""
TYPES = """
static const int PEM_R_NO_START_LINE;
static const int SSL_R_NO_CIPHER_MATCH;
"""
FUNCTIONS = """
void ERR_print_errors(BIO *);
long SSL_CTX_clear_extra_chain_certs(SSL_CTX *);
int SSL_CTX_set1_curves_list(SSL_CTX *, const char *);

/* csrc/context_helpers.c */
int tls_engine_supported(void);
ENGINE *tls_engine_by_id(const char *);
int tls_engine_init(ENGINE *);
void tls_engine_release(ENGINE *, int);
EVP_PKEY *tls_engine_load_private_key(ENGINE *, const char *);
int tls_ctx_set_client_cert_engine(SSL_CTX *, ENGINE *);
X509 *tls_ctx_get_issuer(SSL_CTX *, X509 *);
"""
CUSTOMIZATIONS = ""
