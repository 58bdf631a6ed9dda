INCLUDES = """
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
"""
TYPES = """
typedef ... PKCS12;
typedef int pem_password_cb(char *, int, int, void *);
"""
FUNCTIONS = """
X509 *PEM_read_bio_X509(BIO *, X509 **, pem_password_cb *, void *);
X509 *PEM_read_bio_X509_AUX(BIO *, X509 **, pem_password_cb *, void *);
EVP_PKEY *PEM_read_bio_PrivateKey(BIO *, EVP_PKEY **, pem_password_cb *, void *);
int PEM_write_bio_X509(BIO *, X509 *);
PKCS12 *d2i_PKCS12_bio(BIO *, PKCS12 **);
void PKCS12_free(PKCS12 *);
int PKCS12_parse(PKCS12 *, const char *, EVP_PKEY **, X509 **, Cryptography_STACK_OF_X509 **);
"""
CUSTOMIZATIONS = ""
