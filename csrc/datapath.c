/*
 * The data path: move many TLS records per call from Python.
 *
 * Python hands a whole socket read to tls_feed() and then asks tls_read() to
 * decrypt everything that is complete into one caller-owned buffer; on the way
 * out tls_write() encrypts a whole user write and tls_drain() collects every
 * pending ciphertext byte in one go.  No Python code runs per record and the
 * buffers are reused across calls (see tls/_engine.py), so the per-record cost
 * is OpenSSL's alone.
 */

/* Memory BIOs grow on demand, so a feed never short-writes. */
int tls_feed(SSL *ssl, const char *data, size_t len)
{
    BIO *rbio = SSL_get_rbio(ssl);
    while (len > 0) {
        int chunk = len > 0x40000000 ? 0x40000000 : (int)len;
        int n = BIO_write(rbio, data, chunk);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Decrypt up to cap bytes.  *status receives SSL_get_error() of the call that
 * stopped the loop, or SSL_ERROR_NONE when the buffer filled up first (call
 * again: more plaintext may be ready).
 */
size_t tls_read(SSL *ssl, char *buf, size_t cap, int *status)
{
    size_t total = 0;
    *status = SSL_ERROR_NONE;
    while (total < cap) {
        size_t got = 0;
        int ret = SSL_read_ex(ssl, buf + total, cap - total, &got);
        if (ret <= 0) {
            *status = SSL_get_error(ssl, ret);
            break;
        }
        total += got;
    }
    return total;
}

/*
 * Encrypt len bytes, stopping early once more than out_limit ciphertext bytes
 * wait in the write BIO so that a huge write does not double in memory.
 * Returns the plaintext bytes consumed; *status as for tls_read.
 */
size_t tls_write(SSL *ssl, const char *data, size_t len, size_t out_limit, int *status)
{
    size_t total = 0;
    BIO *wbio = SSL_get_wbio(ssl);
    *status = SSL_ERROR_NONE;
    while (total < len) {
        size_t done = 0;
        size_t chunk = len - total;
        int ret;
        if (chunk > 65536)
            chunk = 65536;
        ret = SSL_write_ex(ssl, data + total, chunk, &done);
        if (ret <= 0) {
            *status = SSL_get_error(ssl, ret);
            break;
        }
        total += done;
        if (BIO_ctrl_pending(wbio) > out_limit)
            break;
    }
    return total;
}

/* Collect up to cap bytes of pending ciphertext. */
size_t tls_drain(SSL *ssl, char *buf, size_t cap)
{
    BIO *wbio = SSL_get_wbio(ssl);
    size_t total = 0;
    while (total < cap) {
        size_t chunk = cap - total;
        int n = BIO_read(wbio, buf + total, chunk > 0x40000000 ? 0x40000000 : (int)chunk);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    return total;
}

/* Give the SSL a pair of memory BIOs; reads of an empty BIO mean "want more". */
int tls_attach_memory_bios(SSL *ssl)
{
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    if (rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        return 0;
    }
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    return 1;
}

/* After the peer's EOF: reads of the drained BIO report EOF instead of "retry". */
void tls_feed_eof(SSL *ssl)
{
    BIO_set_mem_eof_return(SSL_get_rbio(ssl), 0);
}

/*
 * A new engine's SSL in one call: memory BIOs, release-buffers mode, the
 * accept or connect state, and the owning engine's handle in the ex_data slot
 * (see tls/_engine.py).  NULL on failure, with OpenSSL's error queue set.
 */
SSL *tls_engine_new(SSL_CTX *ctx, int is_server, void *handle)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    if (!tls_attach_memory_bios(ssl)) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (is_server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    SSL_set_ex_data(ssl, tls_ssl_ex_index(), handle);
    return ssl;
}

/*
 * tls_write() and tls_drain() in one call, for a write whose records go
 * straight to the transport: encrypt from data (as tls_write), then move the
 * pending ciphertext into out.  io[0] receives the bytes put in out, io[1] the
 * ciphertext still pending in the write BIO (when out was too small).
 */
size_t tls_write_out(SSL *ssl, const char *data, size_t len, size_t out_limit, int *status,
                     char *out, size_t outcap, size_t *io)
{
    size_t n = tls_write(ssl, data, len, out_limit, status);
    io[0] = tls_drain(ssl, out, outcap);
    io[1] = BIO_ctrl_pending(SSL_get_wbio(ssl));
    return n;
}
