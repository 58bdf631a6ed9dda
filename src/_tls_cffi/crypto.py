INCLUDES = """
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
"""
TYPES = """
static const long OPENSSL_VERSION_NUMBER;
static const int OPENSSL_VERSION;
"""
FUNCTIONS = """
unsigned long OpenSSL_version_num(void);
const char *OpenSSL_version(int);
void OPENSSL_free(void *);
void *OPENSSL_malloc(size_t);
int CRYPTO_memcmp(const void *, const void *, size_t);
int RAND_bytes(unsigned char *, int);
"""
CUSTOMIZATIONS = "#include <openssl/rand.h>\n"
