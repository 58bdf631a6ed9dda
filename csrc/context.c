/* Context helpers that never need Python. */

/* Node's native verify callback accepts every chain: the verdict is read with
 * SSL_get_verify_result() after the handshake and acted on in Python. */
int tls_verify_accept_all(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)preverify_ok;
    (void)ctx;
    return 1;
}

/* Passphrase callback over a tls_passphrase struct; never prompts on a tty. */
int tls_passphrase_cb(char *buf, int size, int rwflag, void *userdata)
{
    const tls_passphrase *p = (const tls_passphrase *)userdata;
    (void)rwflag;
    if (p == NULL || p->data == NULL || size <= 0)
        return -1;
    if (p->len > size)
        return -1;
    memcpy(buf, p->data, (size_t)p->len);
    return p->len;
}

static int tls_ssl_index = -1;
static int tls_ctx_index = -1;

int tls_ssl_ex_index(void)
{
    if (tls_ssl_index < 0)
        tls_ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return tls_ssl_index;
}

int tls_ctx_ex_index(void)
{
    if (tls_ctx_index < 0)
        tls_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return tls_ctx_index;
}
