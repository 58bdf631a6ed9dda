/*
 * Session ticket keys in Node's format: 48 bytes = name (16) | HMAC-SHA256
 * key (16) | AES-128-CBC key (16).  The keys live in SSL_CTX ex_data owned by
 * OpenSSL (freed with the context), so a ticket callback never has to reach
 * Python and servers that share the 48 bytes resume each other's tickets.
 */
#include <openssl/rand.h>
#include <openssl/params.h>

typedef struct {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} tls_ticket_keys;

static void tls_ticket_keys_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    if (ptr != NULL)
        OPENSSL_clear_free(ptr, sizeof(tls_ticket_keys));
}

static int tls_ticket_slot_init(void)
{
    if (tls_ticket_index < 0)
        tls_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, tls_ticket_keys_free);
    return tls_ticket_index >= 0;
}

static int tls_ticket_key_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
                             EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    tls_ticket_keys *keys = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ticket_index);
    OSSL_PARAM params[2];
    if (keys == NULL)
        return -1;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (enc) {
        memcpy(name, keys->name, 16);
        if (RAND_bytes(iv, 16) <= 0
            || EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, keys->aes, iv) <= 0
            || EVP_MAC_init(hctx, keys->hmac, 16, params) <= 0)
            return -1;
        return 1;
    }
    /* An unknown key name: no resumption, a full handshake and a new ticket. */
    if (CRYPTO_memcmp(name, keys->name, 16) != 0)
        return 0;
    if (EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, keys->aes, iv) <= 0
        || EVP_MAC_init(hctx, keys->hmac, 16, params) <= 0)
        return -1;
    return 1;
}

/* Install (or replace) the 48-byte keys; new connections use them at once. */
int tls_ctx_set_ticket_keys(SSL_CTX *ctx, const unsigned char *buf, size_t len)
{
    tls_ticket_keys *keys;
    int idx = tls_ticket_index;
    if (len != sizeof(tls_ticket_keys) || idx < 0)
        return 0;
    keys = SSL_CTX_get_ex_data(ctx, idx);
    if (keys == NULL) {
        keys = OPENSSL_zalloc(sizeof(*keys));
        if (keys == NULL || !SSL_CTX_set_ex_data(ctx, idx, keys)) {
            OPENSSL_free(keys);
            return 0;
        }
        if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_key_cb) != 1)
            return 0;
    }
    memcpy(keys, buf, sizeof(*keys));
    return 1;
}
