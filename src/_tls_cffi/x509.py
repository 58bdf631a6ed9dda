INCLUDES = """
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
"""
TYPES = """
typedef ... X509;
typedef ... X509_NAME;
typedef ... X509_STORE;
typedef ... X509_STORE_CTX;
typedef ... X509_CRL;
typedef ... X509_VERIFY_PARAM;
typedef ... X509_LOOKUP;
typedef ... X509_LOOKUP_METHOD;
typedef ... X509_OBJECT;
typedef ... Cryptography_STACK_OF_X509;
typedef ... Cryptography_STACK_OF_X509_NAME;
typedef ... Cryptography_STACK_OF_X509_OBJECT;
static const long X509_V_OK;
static const long X509_V_FLAG_CRL_CHECK;
static const long X509_V_FLAG_CRL_CHECK_ALL;
static const long X509_V_FLAG_PARTIAL_CHAIN;
static const long X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
static const int X509_L_FILE_LOAD;
static const int X509_FILETYPE_PEM;
"""
FUNCTIONS = """
X509 *X509_new(void);
void X509_free(X509 *);
int X509_up_ref(X509 *);
X509 *X509_dup(X509 *);
int i2d_X509(X509 *, unsigned char **);
X509 *d2i_X509(X509 **, const unsigned char **, long);
X509_NAME *X509_get_subject_name(const X509 *);
X509_NAME *X509_get_issuer_name(const X509 *);
int X509_check_issued(X509 *, X509 *);
int X509_NAME_cmp(const X509_NAME *, const X509_NAME *);
int X509_check_private_key(const X509 *, const EVP_PKEY *);
EVP_PKEY *X509_get_pubkey(X509 *);
EVP_PKEY *X509_get0_pubkey(const X509 *);

X509_STORE *X509_STORE_new(void);
void X509_STORE_free(X509_STORE *);
int X509_STORE_up_ref(X509_STORE *);
int X509_STORE_add_cert(X509_STORE *, X509 *);
int X509_STORE_add_crl(X509_STORE *, X509_CRL *);
int X509_STORE_set_flags(X509_STORE *, unsigned long);
int X509_STORE_set_default_paths(X509_STORE *);
int X509_STORE_load_locations(X509_STORE *, const char *, const char *);
Cryptography_STACK_OF_X509_OBJECT *X509_STORE_get0_objects(const X509_STORE *);
int sk_X509_OBJECT_num(Cryptography_STACK_OF_X509_OBJECT *);
X509_OBJECT *sk_X509_OBJECT_value(Cryptography_STACK_OF_X509_OBJECT *, int);
X509 *X509_OBJECT_get0_X509(const X509_OBJECT *);
X509_LOOKUP *X509_STORE_add_lookup(X509_STORE *, X509_LOOKUP_METHOD *);
X509_LOOKUP_METHOD *X509_LOOKUP_file(void);
X509_LOOKUP_METHOD *X509_LOOKUP_hash_dir(void);

X509_STORE_CTX *X509_STORE_CTX_new(void);
void X509_STORE_CTX_free(X509_STORE_CTX *);
int X509_STORE_CTX_init(X509_STORE_CTX *, X509_STORE *, X509 *, Cryptography_STACK_OF_X509 *);
int X509_STORE_CTX_get1_issuer(X509 **, X509_STORE_CTX *, X509 *);
int X509_STORE_CTX_get_error(X509_STORE_CTX *);

const char *X509_verify_cert_error_string(long);
const char *X509_get_default_cert_file(void);
const char *X509_get_default_cert_dir(void);
const char *X509_get_default_cert_file_env(void);
const char *X509_get_default_cert_dir_env(void);

void X509_CRL_free(X509_CRL *);
X509_CRL *PEM_read_bio_X509_CRL(BIO *, X509_CRL **, void *, void *);

Cryptography_STACK_OF_X509 *sk_X509_new_null(void);
void sk_X509_free(Cryptography_STACK_OF_X509 *);
void sk_X509_pop_free(Cryptography_STACK_OF_X509 *, void (*)(X509 *));
int sk_X509_num(Cryptography_STACK_OF_X509 *);
int sk_X509_push(Cryptography_STACK_OF_X509 *, X509 *);
X509 *sk_X509_value(Cryptography_STACK_OF_X509 *, int);
X509 *sk_X509_shift(Cryptography_STACK_OF_X509 *);
int sk_X509_NAME_num(Cryptography_STACK_OF_X509_NAME *);
"""
CUSTOMIZATIONS = """
typedef STACK_OF(X509) Cryptography_STACK_OF_X509;
typedef STACK_OF(X509_NAME) Cryptography_STACK_OF_X509_NAME;
typedef STACK_OF(X509_OBJECT) Cryptography_STACK_OF_X509_OBJECT;
"""
