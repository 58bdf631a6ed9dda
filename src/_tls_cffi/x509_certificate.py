"""tls.X509Certificate (Node 20's crypto.X509Certificate) and tlsSocket.enableTrace().

The C helpers are in csrc/x509_certificate.c; the legacy-object readers it
shares with getPeerCertificate are declared by x509_info.
"""
INCLUDES = """
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
"""
TYPES = """
static const unsigned int X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT;
static const unsigned int X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
static const unsigned int X509_CHECK_FLAG_NO_WILDCARDS;
static const unsigned int X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
static const unsigned int X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS;
static const unsigned int X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS;
"""
FUNCTIONS = """
int PEM_write_bio_PUBKEY(BIO *, const EVP_PKEY *);
EVP_PKEY *d2i_AutoPrivateKey(EVP_PKEY **, const unsigned char **, long);
EVP_PKEY *d2i_PUBKEY(EVP_PKEY **, const unsigned char **, long);
EVP_PKEY *PEM_read_bio_PUBKEY(BIO *, EVP_PKEY **, pem_password_cb *, void *);
int X509_check_host(X509 *, const char *, size_t, unsigned int, char **);
int X509_check_email(X509 *, const char *, size_t, unsigned int);
int X509_check_ip_asc(X509 *, const char *, unsigned int);
int X509_verify(X509 *, EVP_PKEY *);
int EVP_PKEY_eq(const EVP_PKEY *, const EVP_PKEY *);

int tls_x509_name_text(X509 *, int, BIO *);
int tls_trace_available(void);
int tls_enable_trace(SSL *);
"""
CUSTOMIZATIONS = ""
