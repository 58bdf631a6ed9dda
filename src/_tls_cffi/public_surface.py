"""The public low-level surface (tls.openssl, docs/openssl.md): what a user reaches for that the
package itself does not call.

The other areas declare what the package needs; this one adds the getters and setters a user
of ``tls.openssl.lib`` expects next to them -- modes, verify parameters (X509_VERIFY_PARAM),
certificate chains, sessions, ciphers, groups, sigalgs, ex_data indexes, X509 / X509_STORE
accessors, EVP keys and signatures, OCSP request and response building -- so that the
``native`` handles of a TLSSocket (``SSL*``) and a SecureContext (``SSL_CTX*``) are useful.
Every name here is listed in tls.openssl.SURFACE and docs/openssl.md (tests/test_openssl.py
holds the three together).  A static wheel keeps them all: cffi compiles a wrapper for each
declaration into tls._openssl, which references the OpenSSL function, so the linker keeps it
even though no OpenSSL symbol is exported.

Plain functions and macros that take no callback: a callback into Python needs an
``extern "Python"`` of the compiled module.  The one exception is a custom extension
(``SSL_CTX_add_custom_ext``), whose three callbacks are declared here and served by
tls.openssl.add_custom_extension.
"""
INCLUDES = """
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
"""
TYPES = """
typedef int... time_t;
typedef ... X509_EXTENSION;
typedef ... ASN1_INTEGER;
typedef ... EVP_MD_CTX;
typedef ... EVP_PKEY_CTX;
typedef ... OSSL_LIB_CTX;
typedef ... OCSP_REQUEST;
typedef ... OCSP_ONEREQ;
typedef ... OCSP_CERTID;
typedef ... OCSP_BASICRESP;
typedef ... OCSP_SINGLERESP;
typedef ... ASN1_GENERALIZEDTIME;
typedef ... CRYPTO_EX_new;
typedef ... CRYPTO_EX_dup;
typedef ... CRYPTO_EX_free;

static const int SSL_FILETYPE_PEM;
static const int SSL_FILETYPE_ASN1;

static const unsigned long X509_V_FLAG_USE_CHECK_TIME;
static const unsigned long X509_V_FLAG_IGNORE_CRITICAL;
static const unsigned long X509_V_FLAG_X509_STRICT;
static const unsigned long X509_V_FLAG_ALLOW_PROXY_CERTS;
static const unsigned long X509_V_FLAG_POLICY_CHECK;
static const unsigned long X509_V_FLAG_EXPLICIT_POLICY;
static const unsigned long X509_V_FLAG_INHIBIT_ANY;
static const unsigned long X509_V_FLAG_INHIBIT_MAP;
static const unsigned long X509_V_FLAG_NOTIFY_POLICY;
static const unsigned long X509_V_FLAG_EXTENDED_CRL_SUPPORT;
static const unsigned long X509_V_FLAG_USE_DELTAS;
static const unsigned long X509_V_FLAG_CHECK_SS_SIGNATURE;
static const unsigned long X509_V_FLAG_TRUSTED_FIRST;
static const unsigned long X509_V_FLAG_NO_ALT_CHAINS;
static const unsigned long X509_V_FLAG_NO_CHECK_TIME;
static const int X509_PURPOSE_SSL_CLIENT;
static const int X509_PURPOSE_SSL_SERVER;
static const int X509_PURPOSE_ANY;

static const int NID_commonName;
static const int NID_subject_alt_name;
static const int NID_basic_constraints;
static const int NID_key_usage;
static const int NID_ext_key_usage;
static const int NID_X9_62_prime256v1;
static const int NID_secp384r1;
static const int NID_secp521r1;
static const int NID_X25519;
static const int NID_X448;
static const int NID_sha256;
static const int NID_sha384;
static const int NID_sha512;
static const int NID_rsaEncryption;
static const int NID_rsassaPss;

static const int OCSP_RESPONSE_STATUS_SUCCESSFUL;
static const int OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
static const int OCSP_RESPONSE_STATUS_INTERNALERROR;
static const int OCSP_RESPONSE_STATUS_TRYLATER;
static const int OCSP_RESPONSE_STATUS_SIGREQUIRED;
static const int OCSP_RESPONSE_STATUS_UNAUTHORIZED;
static const int V_OCSP_CERTSTATUS_GOOD;
static const int V_OCSP_CERTSTATUS_REVOKED;
static const int V_OCSP_CERTSTATUS_UNKNOWN;
static const int OCSP_REVOKED_STATUS_NOSTATUS;
static const unsigned long OCSP_NOCERTS;
static const unsigned long OCSP_NOVERIFY;
static const unsigned long OCSP_TRUSTOTHER;
static const unsigned long OCSP_NOCHECKS;
static const unsigned long OCSP_RESPID_KEY;

static const unsigned int SSL_EXT_TLS_ONLY;
static const unsigned int SSL_EXT_CLIENT_HELLO;
static const unsigned int SSL_EXT_TLS1_2_SERVER_HELLO;
static const unsigned int SSL_EXT_TLS1_3_SERVER_HELLO;
static const unsigned int SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS;
static const unsigned int SSL_EXT_TLS1_3_CERTIFICATE;
static const unsigned int SSL_EXT_TLS1_3_CERTIFICATE_REQUEST;
static const unsigned int SSL_EXT_TLS1_3_NEW_SESSION_TICKET;
static const int SSL_AD_DECODE_ERROR;
static const int SSL_AD_ILLEGAL_PARAMETER;
"""
FUNCTIONS = """
/* -- SSL / SSL_CTX: options and modes (SSL_*_options are declared by ssl.py) -- */
long SSL_get_mode(SSL *);
long SSL_clear_mode(SSL *, long);
long SSL_CTX_get_mode(SSL_CTX *);
long SSL_CTX_clear_mode(SSL_CTX *, long);
int SSL_get_security_level(const SSL *);
void SSL_set_security_level(SSL *, int);
int SSL_get_min_proto_version(SSL *);
int SSL_get_max_proto_version(SSL *);
size_t SSL_CTX_get_num_tickets(const SSL_CTX *);
int SSL_set_num_tickets(SSL *, size_t);
size_t SSL_get_num_tickets(const SSL *);

/* -- verification and X509_VERIFY_PARAM -- */
int SSL_get_verify_mode(const SSL *);
int SSL_get_verify_depth(const SSL *);
void SSL_set_verify_depth(SSL *, int);
int SSL_CTX_get_verify_mode(const SSL_CTX *);
int SSL_CTX_get_verify_depth(const SSL_CTX *);
X509_VERIFY_PARAM *SSL_CTX_get0_param(SSL_CTX *);
int SSL_CTX_set1_param(SSL_CTX *, X509_VERIFY_PARAM *);
int SSL_set1_param(SSL *, X509_VERIFY_PARAM *);
int SSL_add1_host(SSL *, const char *);
void SSL_set_hostflags(SSL *, unsigned int);
const char *SSL_get0_peername(SSL *);
X509_VERIFY_PARAM *X509_VERIFY_PARAM_new(void);
void X509_VERIFY_PARAM_free(X509_VERIFY_PARAM *);
int X509_VERIFY_PARAM_set_flags(X509_VERIFY_PARAM *, unsigned long);
int X509_VERIFY_PARAM_clear_flags(X509_VERIFY_PARAM *, unsigned long);
unsigned long X509_VERIFY_PARAM_get_flags(const X509_VERIFY_PARAM *);
void X509_VERIFY_PARAM_set_depth(X509_VERIFY_PARAM *, int);
int X509_VERIFY_PARAM_get_depth(const X509_VERIFY_PARAM *);
void X509_VERIFY_PARAM_set_auth_level(X509_VERIFY_PARAM *, int);
int X509_VERIFY_PARAM_get_auth_level(const X509_VERIFY_PARAM *);
int X509_VERIFY_PARAM_set_purpose(X509_VERIFY_PARAM *, int);
void X509_VERIFY_PARAM_set_time(X509_VERIFY_PARAM *, time_t);
int X509_VERIFY_PARAM_set1_host(X509_VERIFY_PARAM *, const char *, size_t);
int X509_VERIFY_PARAM_add1_host(X509_VERIFY_PARAM *, const char *, size_t);
void X509_VERIFY_PARAM_set_hostflags(X509_VERIFY_PARAM *, unsigned int);
int X509_VERIFY_PARAM_set1_email(X509_VERIFY_PARAM *, const char *, size_t);
int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM *, const char *);
int X509_VERIFY_PARAM_set1(X509_VERIFY_PARAM *, const X509_VERIFY_PARAM *);

/* -- certificate chains and keys -- */
int SSL_CTX_use_certificate_chain_file(SSL_CTX *, const char *);
int SSL_CTX_use_PrivateKey_file(SSL_CTX *, const char *, int);
int SSL_CTX_load_verify_locations(SSL_CTX *, const char *, const char *);
int SSL_CTX_build_cert_chain(SSL_CTX *, long);
int SSL_CTX_set1_verify_cert_store(SSL_CTX *, X509_STORE *);
int SSL_CTX_set1_chain_cert_store(SSL_CTX *, X509_STORE *);
int SSL_get0_chain_certs(SSL *, Cryptography_STACK_OF_X509 **);
int SSL_add1_chain_cert(SSL *, X509 *);
int SSL_clear_chain_certs(SSL *);
int SSL_check_private_key(const SSL *);
EVP_PKEY *SSL_get_privatekey(const SSL *);
Cryptography_STACK_OF_X509 *SSL_get0_verified_chain(const SSL *);
int SSL_add_client_CA(SSL *, X509 *);

/* -- sessions -- */
long SSL_SESSION_get_time(const SSL_SESSION *);
long SSL_SESSION_set_timeout(SSL_SESSION *, long);
X509 *SSL_SESSION_get0_peer(SSL_SESSION *);
const SSL_CIPHER *SSL_SESSION_get0_cipher(const SSL_SESSION *);
size_t SSL_SESSION_get_master_key(const SSL_SESSION *, unsigned char *, size_t);
int SSL_SESSION_set1_id_context(SSL_SESSION *, const unsigned char *, unsigned int);
const unsigned char *SSL_SESSION_get0_id_context(const SSL_SESSION *, unsigned int *);
unsigned long SSL_SESSION_get_ticket_lifetime_hint(const SSL_SESSION *);
const char *SSL_SESSION_get0_hostname(const SSL_SESSION *);
uint32_t SSL_SESSION_get_max_early_data(const SSL_SESSION *);
int SSL_CTX_add_session(SSL_CTX *, SSL_SESSION *);
int SSL_CTX_remove_session(SSL_CTX *, SSL_SESSION *);
void SSL_CTX_flush_sessions(SSL_CTX *, long);
long SSL_CTX_sess_number(SSL_CTX *);
long SSL_CTX_sess_set_cache_size(SSL_CTX *, long);
long SSL_CTX_sess_get_cache_size(SSL_CTX *);

/* -- ciphers -- */
int SSL_set_ciphersuites(SSL *, const char *);
const char *SSL_get_cipher_list(const SSL *, int);
Cryptography_STACK_OF_SSL_CIPHER *SSL_get_client_ciphers(const SSL *);
Cryptography_STACK_OF_SSL_CIPHER *SSL_get1_supported_ciphers(SSL *);
void sk_SSL_CIPHER_free(Cryptography_STACK_OF_SSL_CIPHER *);
const SSL_CIPHER *SSL_CIPHER_find(SSL *, const unsigned char *);
char *SSL_CIPHER_description(const SSL_CIPHER *, char *, int);
uint32_t SSL_CIPHER_get_id(const SSL_CIPHER *);
uint16_t SSL_CIPHER_get_protocol_id(const SSL_CIPHER *);
int SSL_CIPHER_get_cipher_nid(const SSL_CIPHER *);
int SSL_CIPHER_get_digest_nid(const SSL_CIPHER *);
int SSL_CIPHER_is_aead(const SSL_CIPHER *);

/* -- groups (key exchange) -- */
int SSL_set1_groups_list(SSL *, const char *);
int SSL_set1_groups(SSL *, int *, size_t);
int SSL_CTX_set1_groups(SSL_CTX *, int *, size_t);
int SSL_get1_groups(SSL *, int *);
const char *SSL_group_to_name(SSL *, int);

/* -- signature algorithms -- */
int SSL_set1_sigalgs_list(SSL *, const char *);
int SSL_set1_client_sigalgs_list(SSL *, const char *);
int SSL_get_peer_signature_nid(SSL *, int *);
int SSL_get_peer_signature_type_nid(const SSL *, int *);
int SSL_get_signature_nid(SSL *, int *);
int SSL_get_signature_type_nid(const SSL *, int *);

/* -- ex_data: a slot of your own on SSL / SSL_CTX (get/set are declared by ssl.py) -- */
int SSL_get_ex_new_index(long, void *, CRYPTO_EX_new *, CRYPTO_EX_dup *, CRYPTO_EX_free *);
int SSL_CTX_get_ex_new_index(long, void *, CRYPTO_EX_new *, CRYPTO_EX_dup *, CRYPTO_EX_free *);

/* -- custom extensions (tls.openssl.add_custom_extension: the callbacks are the package's own) -- */
int SSL_CTX_add_custom_ext(SSL_CTX *, unsigned int, unsigned int,
    int (*)(SSL *, unsigned int, unsigned int, const unsigned char **, size_t *, X509 *, size_t, int *, void *),
    void (*)(SSL *, unsigned int, unsigned int, const unsigned char *, void *),
    void *,
    int (*)(SSL *, unsigned int, unsigned int, const unsigned char *, size_t, X509 *, size_t, int *, void *),
    void *);
int SSL_CTX_has_client_custom_ext(const SSL_CTX *, unsigned int);
int SSL_extension_supported(unsigned int);
extern "Python" int _tls_public_ext_add(SSL *, unsigned int, unsigned int, const unsigned char **, size_t *,
                                        X509 *, size_t, int *, void *);
extern "Python" void _tls_public_ext_free(SSL *, unsigned int, unsigned int, const unsigned char *, void *);
extern "Python" int _tls_public_ext_parse(SSL *, unsigned int, unsigned int, const unsigned char *, size_t,
                                          X509 *, size_t, int *, void *);

/* -- reference counts and lifetime (tls.openssl.keep) -- */
int SSL_up_ref(SSL *);

/* -- X509 accessors -- */
long X509_get_version(const X509 *);
ASN1_INTEGER *X509_get_serialNumber(X509 *);
BIGNUM *ASN1_INTEGER_to_BN(const ASN1_INTEGER *, BIGNUM *);
int X509_get_signature_nid(const X509 *);
int X509_get_ext_count(const X509 *);
int X509_get_ext_by_NID(const X509 *, int, int);
X509_EXTENSION *X509_get_ext(const X509 *, int);
ASN1_OBJECT *X509_EXTENSION_get_object(X509_EXTENSION *);
int X509_EXTENSION_get_critical(const X509_EXTENSION *);
int X509V3_EXT_print(BIO *, X509_EXTENSION *, unsigned long, int);
char *X509_NAME_oneline(const X509_NAME *, char *, int);
int X509_NAME_print_ex(BIO *, const X509_NAME *, int, unsigned long);
int X509_NAME_get_text_by_NID(X509_NAME *, int, char *, int);
int X509_print_ex(BIO *, X509 *, unsigned long, unsigned long);
int X509_cmp(const X509 *, const X509 *);
unsigned long X509_subject_name_hash(X509 *);
unsigned long X509_issuer_name_hash(X509 *);
int X509_check_purpose(X509 *, int, int);
int X509_cmp_current_time(const ASN1_TIME *);
ASN1_TIME *X509_gmtime_adj(ASN1_TIME *, long);
ASN1_TIME *ASN1_TIME_new(void);
void ASN1_TIME_free(ASN1_TIME *);
int X509_pubkey_digest(const X509 *, const EVP_MD *, unsigned char *, unsigned int *);
X509_NAME *d2i_X509_NAME(X509_NAME **, const unsigned char **, long);
int i2d_X509_NAME(const X509_NAME *, unsigned char **);
void X509_NAME_free(X509_NAME *);
X509_NAME *sk_X509_NAME_value(Cryptography_STACK_OF_X509_NAME *, int);

/* -- X509_STORE and verification by hand -- */
X509_VERIFY_PARAM *X509_STORE_get0_param(const X509_STORE *);
int X509_STORE_set1_param(X509_STORE *, const X509_VERIFY_PARAM *);
int X509_STORE_set_depth(X509_STORE *, int);
int X509_STORE_set_purpose(X509_STORE *, int);
int X509_verify_cert(X509_STORE_CTX *);
X509 *X509_STORE_CTX_get_current_cert(const X509_STORE_CTX *);
int X509_STORE_CTX_get_error_depth(const X509_STORE_CTX *);
Cryptography_STACK_OF_X509 *X509_STORE_CTX_get1_chain(const X509_STORE_CTX *);
X509_VERIFY_PARAM *X509_STORE_CTX_get0_param(const X509_STORE_CTX *);
void X509_STORE_CTX_set_flags(X509_STORE_CTX *, unsigned long);
void X509_STORE_CTX_set_depth(X509_STORE_CTX *, int);

/* -- EVP keys, digests and signatures -- */
EVP_PKEY *EVP_PKEY_new(void);
int EVP_PKEY_get_size(const EVP_PKEY *);
int EVP_PKEY_get_security_bits(const EVP_PKEY *);
const char *EVP_PKEY_get0_type_name(const EVP_PKEY *);
int EVP_PKEY_is_a(const EVP_PKEY *, const char *);
int PEM_write_bio_PrivateKey(BIO *, const EVP_PKEY *, const EVP_CIPHER *, const unsigned char *, int,
                             pem_password_cb *, void *);
int i2d_PrivateKey(const EVP_PKEY *, unsigned char **);
EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *, const char *, const char *);
EVP_PKEY_CTX *EVP_PKEY_CTX_new(EVP_PKEY *, ENGINE *);
void EVP_PKEY_CTX_free(EVP_PKEY_CTX *);
int EVP_PKEY_keygen_init(EVP_PKEY_CTX *);
int EVP_PKEY_generate(EVP_PKEY_CTX *, EVP_PKEY **);
int EVP_PKEY_CTX_set_rsa_keygen_bits(EVP_PKEY_CTX *, int);
int EVP_PKEY_CTX_set_group_name(EVP_PKEY_CTX *, const char *);
EVP_MD_CTX *EVP_MD_CTX_new(void);
void EVP_MD_CTX_free(EVP_MD_CTX *);
const EVP_MD *EVP_sha384(void);
const char *EVP_MD_get0_name(const EVP_MD *);
int EVP_MD_get_size(const EVP_MD *);
int EVP_Digest(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
int EVP_DigestSignInit(EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
int EVP_DigestSign(EVP_MD_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
int EVP_DigestVerifyInit(EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
int EVP_DigestVerify(EVP_MD_CTX *, const unsigned char *, size_t, const unsigned char *, size_t);

/* -- OCSP: building requests and responses, reading them -- */
OCSP_CERTID *OCSP_cert_to_id(const EVP_MD *, const X509 *, const X509 *);
void OCSP_CERTID_free(OCSP_CERTID *);
OCSP_CERTID *OCSP_CERTID_dup(const OCSP_CERTID *);
int OCSP_id_cmp(const OCSP_CERTID *, const OCSP_CERTID *);
OCSP_REQUEST *OCSP_REQUEST_new(void);
void OCSP_REQUEST_free(OCSP_REQUEST *);
OCSP_ONEREQ *OCSP_request_add0_id(OCSP_REQUEST *, OCSP_CERTID *);
int OCSP_request_add1_nonce(OCSP_REQUEST *, unsigned char *, int);
int OCSP_request_onereq_count(OCSP_REQUEST *);
OCSP_ONEREQ *OCSP_request_onereq_get0(OCSP_REQUEST *, int);
OCSP_CERTID *OCSP_onereq_get0_id(OCSP_ONEREQ *);
int i2d_OCSP_REQUEST(const OCSP_REQUEST *, unsigned char **);
OCSP_REQUEST *d2i_OCSP_REQUEST(OCSP_REQUEST **, const unsigned char **, long);
OCSP_BASICRESP *OCSP_BASICRESP_new(void);
void OCSP_BASICRESP_free(OCSP_BASICRESP *);
OCSP_SINGLERESP *OCSP_basic_add1_status(OCSP_BASICRESP *, OCSP_CERTID *, int, int, ASN1_TIME *,
                                        ASN1_TIME *, ASN1_TIME *);
int OCSP_basic_add1_nonce(OCSP_BASICRESP *, unsigned char *, int);
int OCSP_check_nonce(OCSP_REQUEST *, OCSP_BASICRESP *);
int OCSP_basic_sign(OCSP_BASICRESP *, X509 *, EVP_PKEY *, const EVP_MD *, Cryptography_STACK_OF_X509 *,
                    unsigned long);
OCSP_RESPONSE *OCSP_response_create(int, OCSP_BASICRESP *);
int i2d_OCSP_RESPONSE(const OCSP_RESPONSE *, unsigned char **);
int OCSP_response_status(OCSP_RESPONSE *);
OCSP_BASICRESP *OCSP_response_get1_basic(OCSP_RESPONSE *);
int OCSP_resp_find_status(OCSP_BASICRESP *, OCSP_CERTID *, int *, int *, ASN1_GENERALIZEDTIME **,
                          ASN1_GENERALIZEDTIME **, ASN1_GENERALIZEDTIME **);
int OCSP_check_validity(ASN1_GENERALIZEDTIME *, ASN1_GENERALIZEDTIME *, long, long);
int OCSP_basic_verify(OCSP_BASICRESP *, Cryptography_STACK_OF_X509 *, X509_STORE *, unsigned long);
const char *OCSP_response_status_str(long);
const char *OCSP_cert_status_str(long);
"""
CUSTOMIZATIONS = ""
