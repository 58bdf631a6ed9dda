/* Declarations shared by the C helpers in csrc/ (concatenated into tls._openssl). */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>

typedef struct {
    const char *data;
    int len;
} tls_passphrase;
