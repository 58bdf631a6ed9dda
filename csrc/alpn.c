/*
 * ALPN and NPN over wire-format protocol lists (length-prefixed names), kept
 * per connection in SSL ex_data owned by OpenSSL.  Selection is Node's: the
 * server's preference wins, and no overlap is a fatal
 * no_application_protocol alert (RFC 7301 3.2), not a silent NOACK.
 */
typedef struct {
    unsigned int len;
    unsigned char data[];
} tls_protos;

static void tls_protos_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    OPENSSL_free(ptr);
}

static int tls_protos_slots_init(void)
{
    if (tls_alpn_index < 0)
        tls_alpn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, tls_protos_free);
    if (tls_npn_index < 0)
        tls_npn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, tls_protos_free);
    return tls_alpn_index >= 0 && tls_npn_index >= 0;
}

static int tls_store_protos(SSL *ssl, int idx, const unsigned char *wire, unsigned int len)
{
    tls_protos *old = SSL_get_ex_data(ssl, idx);
    tls_protos *p = OPENSSL_malloc(sizeof(tls_protos) + len);
    if (p == NULL)
        return 0;
    p->len = len;
    memcpy(p->data, wire, len);
    if (!SSL_set_ex_data(ssl, idx, p)) {
        OPENSSL_free(p);
        return 0;
    }
    OPENSSL_free(old);
    return 1;
}

static int tls_alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                              const unsigned char *in, unsigned int inlen, void *arg)
{
    tls_protos *p = SSL_get_ex_data(ssl, tls_alpn_index);
    (void)arg;
    if (p == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    if (SSL_select_next_proto((unsigned char **)out, outlen, p->data, p->len, in, inlen)
        != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static int tls_npn_advertise_cb(SSL *ssl, const unsigned char **out, unsigned int *outlen, void *arg)
{
    tls_protos *p = SSL_get_ex_data(ssl, tls_npn_index);
    (void)arg;
    if (p == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    *out = p->data;
    *outlen = p->len;
    return SSL_TLSEXT_ERR_OK;
}

static int tls_npn_select_cb(SSL *ssl, unsigned char **out, unsigned char *outlen,
                             const unsigned char *in, unsigned int inlen, void *arg)
{
    tls_protos *p = SSL_get_ex_data(ssl, tls_npn_index);
    (void)arg;
    if (p == NULL) {
        /* no list of our own: take the server's first, as OpenSSL does */
        SSL_select_next_proto(out, outlen, in, inlen, (const unsigned char *)"", 0);
        return SSL_TLSEXT_ERR_OK;
    }
    SSL_select_next_proto(out, outlen, in, inlen, p->data, p->len);
    return SSL_TLSEXT_ERR_OK;
}

/* NPN: the server advertises, the client selects (client preference, as NPN does). */
int tls_set_npn_protos(SSL *ssl, const unsigned char *wire, unsigned int len, int is_server)
{
    if (!tls_store_protos(ssl, tls_npn_index, wire, len))
        return 0;
    if (is_server)
        SSL_CTX_set_next_protos_advertised_cb(SSL_get_SSL_CTX(ssl), tls_npn_advertise_cb, NULL);
    else
        SSL_CTX_set_next_proto_select_cb(SSL_get_SSL_CTX(ssl), tls_npn_select_cb, NULL);
    return 1;
}
