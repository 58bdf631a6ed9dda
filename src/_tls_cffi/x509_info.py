"""Certificate description (Node's X509ToObject): names, times, digests, keys.

The C helpers are in csrc/x509_info.c.
"""
INCLUDES = """
#include <inttypes.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
"""
TYPES = """
typedef ... ASN1_STRING;
typedef ... ASN1_TIME;
typedef ... X509_NAME_ENTRY;
"""
FUNCTIONS = """
int X509_NAME_entry_count(const X509_NAME *);
X509_NAME_ENTRY *X509_NAME_get_entry(const X509_NAME *, int);
ASN1_OBJECT *X509_NAME_ENTRY_get_object(const X509_NAME_ENTRY *);
ASN1_STRING *X509_NAME_ENTRY_get_data(const X509_NAME_ENTRY *);
int ASN1_STRING_to_UTF8(unsigned char **, const ASN1_STRING *);
const ASN1_TIME *X509_get0_notBefore(const X509 *);
const ASN1_TIME *X509_get0_notAfter(const X509 *);
int ASN1_TIME_print(BIO *, const ASN1_TIME *);
int X509_digest(const X509 *, const EVP_MD *, unsigned char *, unsigned int *);
int X509_check_ca(X509 *);

int tls_x509_subjectaltname(X509 *, BIO *);
int tls_x509_infoaccess(X509 *, BIO *);
int tls_x509_ext_key_usage(X509 *, BIO *);
char *tls_x509_serial(X509 *);
int tls_x509_key_kind(X509 *);
int tls_x509_rsa_info(X509 *, BIO *, BIO *, int *, BIO *);
int tls_x509_ec_info(X509 *, int *, BIO *, int *, int *);
"""
CUSTOMIZATIONS = ""
