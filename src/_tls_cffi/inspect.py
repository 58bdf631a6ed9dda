"""What ``python -m tls client`` shows beyond Node's API (src/tls/_faces/cli/inspect.py).

The chain the peer sent next to the chain verification built, the peer's
signing digest and signature type, the CA names a server accepts for client
certificates, and per certificate its signature algorithm and key (type,
size, curve).  Plain OpenSSL 3 calls; no C helper.
"""
INCLUDES = """
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>
"""
TYPES = """
static const unsigned long XN_FLAG_RFC2253;
"""
FUNCTIONS = """
Cryptography_STACK_OF_X509 *SSL_get0_verified_chain(const SSL *);
int SSL_get_peer_signature_nid(SSL *, int *);
int SSL_get_peer_signature_type_nid(const SSL *, int *);
X509_NAME *sk_X509_NAME_value(Cryptography_STACK_OF_X509_NAME *, int);
int X509_NAME_print_ex(BIO *, const X509_NAME *, int, unsigned long);
int X509_get_signature_nid(const X509 *);
const char *EVP_PKEY_get0_type_name(const EVP_PKEY *);
int EVP_PKEY_get_group_name(const EVP_PKEY *, char *, size_t, size_t *);
"""
CUSTOMIZATIONS = ""
