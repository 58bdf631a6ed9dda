"""Keys and certificates made by the binding (tls._pki): key generation,
certificate issuing, PEM / PKCS#12 output.

The C helpers are in csrc/pki.c.  Memory BIOs (BIO_new, BIO_s_mem,
BIO_get_mem_data, BIO_free), PEM_write_bio_X509, i2d_X509, X509_free and
EVP_PKEY_free are declared by the bio, pem_pkcs12, x509 and evp areas.
"""
INCLUDES = """
#include <stdint.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pkcs12.h>
"""
TYPES = """
static const int TLS_PKI_KEY_EC_P256;
static const int TLS_PKI_KEY_RSA_2048;
static const int TLS_PKI_KEY_ED25519;
static const int TLS_PKI_MAX_DAYS;
static const int ERR_TXT_STRING;
"""
FUNCTIONS = """
EVP_PKEY *tls_pki_new_key(int);
X509 *tls_pki_new_cert(EVP_PKEY *, const char *, const char *, const char *, int, X509 *, EVP_PKEY *,
                       long, uint64_t);
int tls_pki_write_key_pem(BIO *, EVP_PKEY *, const char *, int);
int tls_pki_write_pkcs12(BIO *, EVP_PKEY *, X509 *, X509 **, int, const char *, const char *);
unsigned long ERR_peek_last_error_data(const char **, int *);
"""
CUSTOMIZATIONS = ""
