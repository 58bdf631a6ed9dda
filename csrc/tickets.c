/*
 * Session ticket keys: a ring of up to TLS_TICKET_RING_MAX keys, each in Node's
 * 48-byte format = name (16) | HMAC-SHA256 key (16) | AES-128-CBC key (16).
 *
 * Why a ring.  Node's setTicketKeys holds one key, so rotating it makes every
 * ticket already handed out worthless at once: each client pays a full
 * handshake right after a rotation.  Servers that rotate (nginx's
 * ssl_session_ticket_key list, HAProxy's tls-ticket-keys file) keep the last
 * few keys for decryption only.  Here key 0 encrypts every new ticket; keys
 * 1..n-1 still decrypt; a ticket under an unknown name is a miss (a full
 * handshake and a new ticket).
 *
 * The callback's return values (SSL_CTX_set_tlsext_ticket_key_evp_cb):
 *   decrypting with key 0        -> 1: resume, the ticket is current;
 *   decrypting with an older key -> 2: resume, and OpenSSL issues a fresh ticket
 *                                      (under key 0), so a client moves on to
 *                                      the current key before the old one is
 *                                      dropped from the ring;
 *   no key of that name          -> 0: no resumption, full handshake;
 *   an OpenSSL failure           -> -1.
 *
 * The ring lives in SSL_CTX ex_data owned by OpenSSL (freed with the context),
 * so the callback never reaches Python, and servers that share the keys
 * resume each other's tickets.  Which SSL_CTX: the one the connection uses at
 * the time (SSL_get_SSL_CTX), i.e. an SNI context's own ring after the switch,
 * as Node's TicketKeyCallback reads the SecureContext of SSL_get_SSL_CTX.
 * A ring is replaced as a whole by one memcpy on the loop's thread; the
 * callback runs on that thread too (the engine is driven from the loop).
 */
#include <openssl/rand.h>
#include <openssl/params.h>

typedef struct {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} tls_ticket_key;

typedef struct {
    size_t count;                               /* 1..TLS_TICKET_RING_MAX */
    tls_ticket_key keys[TLS_TICKET_RING_MAX];   /* keys[0] encrypts */
} tls_ticket_ring;

static void tls_ticket_keys_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    if (ptr != NULL)
        OPENSSL_clear_free(ptr, sizeof(tls_ticket_ring));
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
    tls_ticket_ring *ring = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ticket_index);
    const tls_ticket_key *key = NULL;
    OSSL_PARAM params[2];
    size_t i;
    if (ring == NULL || ring->count == 0)
        return -1;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (enc) {
        key = &ring->keys[0];
        memcpy(name, key->name, 16);
        if (RAND_bytes(iv, 16) <= 0
            || EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key->aes, iv) <= 0
            || EVP_MAC_init(hctx, key->hmac, 16, params) <= 0)
            return -1;
        return 1;
    }
    for (i = 0; i < ring->count; i++) {
        if (CRYPTO_memcmp(name, ring->keys[i].name, 16) == 0) {
            key = &ring->keys[i];
            break;
        }
    }
    /* An unknown key name: no resumption, a full handshake and a new ticket. */
    if (key == NULL)
        return 0;
    if (EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key->aes, iv) <= 0
        || EVP_MAC_init(hctx, key->hmac, 16, params) <= 0)
        return -1;
    /* An older key: resume, and renew the ticket under the current key. */
    return i == 0 ? 1 : 2;
}

/*
 * Install (or replace) the ring: len = 48 * n bytes, 1 <= n <= TLS_TICKET_RING_MAX,
 * the current key first.  New connections use it at once.  Returns 1, or 0 for a
 * bad length (the Python layer validates first; this is the last guard).
 */
int tls_ctx_set_ticket_ring(SSL_CTX *ctx, const unsigned char *buf, size_t len)
{
    tls_ticket_ring *ring;
    int idx = tls_ticket_index;
    size_t count = len / sizeof(tls_ticket_key);
    if (len == 0 || len % sizeof(tls_ticket_key) != 0 || count > TLS_TICKET_RING_MAX || idx < 0)
        return 0;
    ring = SSL_CTX_get_ex_data(ctx, idx);
    if (ring == NULL) {
        ring = OPENSSL_zalloc(sizeof(*ring));
        if (ring == NULL || !SSL_CTX_set_ex_data(ctx, idx, ring)) {
            OPENSSL_free(ring);
            return 0;
        }
        if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_key_cb) != 1)
            return 0;
    }
    memcpy(ring->keys, buf, len);
    OPENSSL_cleanse(ring->keys + count, sizeof(ring->keys) - len);
    ring->count = count;
    return 1;
}

/* Node's setTicketKeys: a ring of one key. */
int tls_ctx_set_ticket_keys(SSL_CTX *ctx, const unsigned char *buf, size_t len)
{
    if (len != sizeof(tls_ticket_key))
        return 0;
    return tls_ctx_set_ticket_ring(ctx, buf, len);
}
