INCLUDES = """
#include <openssl/evp.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/objects.h>
"""
TYPES = """
typedef ... EVP_PKEY;
typedef ... EVP_MD;
typedef ... EVP_CIPHER;
typedef ... EVP_CIPHER_CTX;
typedef ... EVP_MAC_CTX;
typedef ... ENGINE;
typedef ... DH;
typedef ... BIGNUM;
typedef ... ASN1_OBJECT;
static const int EVP_PKEY_RSA;
static const int EVP_PKEY_RSA_PSS;
static const int EVP_PKEY_DSA;
static const int EVP_PKEY_DH;
static const int EVP_PKEY_EC;
static const int EVP_PKEY_X25519;
static const int EVP_PKEY_X448;
static const int EVP_PKEY_ED25519;
static const int EVP_PKEY_ED448;
static const int EVP_MAX_MD_SIZE;
static const int NID_undef;
"""
FUNCTIONS = """
void EVP_PKEY_free(EVP_PKEY *);
int EVP_PKEY_up_ref(EVP_PKEY *);
int EVP_PKEY_get_id(const EVP_PKEY *);
int EVP_PKEY_get_base_id(const EVP_PKEY *);
int EVP_PKEY_get_bits(const EVP_PKEY *);
int EVP_PKEY_get_bn_param(const EVP_PKEY *, const char *, BIGNUM **);
int EVP_PKEY_get_utf8_string_param(const EVP_PKEY *, const char *, char *, size_t, size_t *);
int EVP_PKEY_get_octet_string_param(const EVP_PKEY *, const char *, unsigned char *, size_t, size_t *);
int i2d_PUBKEY(EVP_PKEY *, unsigned char **);
int i2d_PublicKey(const EVP_PKEY *, unsigned char **);
const EVP_MD *EVP_sha1(void);
const EVP_MD *EVP_sha256(void);
const EVP_MD *EVP_sha512(void);
const EVP_MD *EVP_get_digestbyname(const char *);
void DH_free(DH *);
int DH_bits(const DH *);
DH *PEM_read_bio_DHparams(BIO *, DH **, void *, void *);
int DH_check(const DH *, int *);
void BN_free(BIGNUM *);
char *BN_bn2hex(const BIGNUM *);
int BN_num_bits(const BIGNUM *);
const char *OBJ_nid2sn(int);
const char *OBJ_nid2ln(int);
int OBJ_sn2nid(const char *);
int OBJ_txt2nid(const char *);
int OBJ_obj2nid(const ASN1_OBJECT *);
int OBJ_obj2txt(char *, int, const ASN1_OBJECT *, int);
const char *EC_curve_nid2nist(int);
int EC_curve_nist2nid(const char *);
"""
CUSTOMIZATIONS = ""
