/*
 * Renegotiation events for tls/_renegotiation.py, with Python off the hot path.
 *
 * Node's SSLInfoCallback calls JavaScript on every handshake start and done;
 * here a C info callback records the first handshake itself and calls
 * Python (_tls_reneg_event, extern "Python+C") only for the events that
 * follow it: a handshake start on a server (a renegotiation, which the
 * CLIENT_RENEG_LIMIT logic counts) and a handshake done that is not waiting
 * for a requested renegotiation (Node's onhandshakedone: a second 'secure').
 * TLS 1.3 has no renegotiation, so its post-handshake messages never report.
 * The Python side only records the event; it acts once OpenSSL returned.
 *
 * Node acts on a renegotiation start inside SSL_read, before the server
 * answers the ClientHello and before the records that follow it are read.
 * To keep that order without Python on OpenSSL's stack, a server start sets
 * HOLD, and the server certificate callback (which OpenSSL calls after it
 * processed the ClientHello and before it writes its answer) pauses the
 * handshake while HOLD is set: SSL_read returns SSL_ERROR_WANT_X509_LOOKUP
 * with the plaintext that preceded the ClientHello.  Python delivers that
 * plaintext, applies the limit (an 'error' whose listener may destroy the
 * socket), then tls_reneg_release() lets the handshake go on.
 *
 * The same certificate callback (installed on every server connection; it
 * answers 1 at once when nothing is pending) runs OCSP's step
 * (csrc/ocsp_stapling.c) in the first handshake only, as Node asks for a
 * status once per connection.
 */
#include <stdint.h>

#define TLS_RENEG_STARTED 1   /* the first handshake started */
#define TLS_RENEG_DONE 2      /* the first handshake finished */
#define TLS_RENEG_HOLD 4      /* server: a renegotiation start awaits Python */

#define TLS_RENEG_EVENT_START 1
#define TLS_RENEG_EVENT_DONE 2

/* cffi defines it (extern "Python+C") after the csrc code. */
#if defined(__GNUC__) || defined(__clang__)
void _tls_reneg_event(SSL *, int) __attribute__((visibility("hidden")));
#else
void _tls_reneg_event(SSL *, int);
#endif
static int tls_ocsp_cert_step(SSL *s);

static int tls_reneg_slot_init(void)
{
    if (tls_reneg_index < 0)
        tls_reneg_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return tls_reneg_index >= 0;
}

static intptr_t tls_reneg_flags(const SSL *s)
{
    return (intptr_t)SSL_get_ex_data(s, tls_reneg_index);
}

static void tls_reneg_set_flags(SSL *s, intptr_t flags)
{
    SSL_set_ex_data(s, tls_reneg_index, (void *)flags);
}

static void tls_reneg_info_cb(const SSL *ssl, int where, int ret)
{
    SSL *s = (SSL *)ssl;
    intptr_t flags;
    (void)ret;
    if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)))
        return;
    flags = tls_reneg_flags(s);
    if (where & SSL_CB_HANDSHAKE_START) {
        if (!(flags & TLS_RENEG_STARTED)) {
            tls_reneg_set_flags(s, flags | TLS_RENEG_STARTED);
        } else if (SSL_is_server(s) && SSL_version(s) != TLS1_3_VERSION) {
            tls_reneg_set_flags(s, flags | TLS_RENEG_HOLD);
            _tls_reneg_event(s, TLS_RENEG_EVENT_START);
        }
    }
    if ((where & SSL_CB_HANDSHAKE_DONE) && !SSL_renegotiate_pending(s)) {
        flags = tls_reneg_flags(s);
        if (!(flags & TLS_RENEG_DONE)) {
            tls_reneg_set_flags(s, flags | TLS_RENEG_DONE);
        } else if (SSL_version(s) != TLS1_3_VERSION) {
            _tls_reneg_event(s, TLS_RENEG_EVENT_DONE);
        }
    }
}

static int tls_server_cert_cb(SSL *s, void *arg)
{
    intptr_t flags = tls_reneg_flags(s);
    (void)arg;
    if (flags & TLS_RENEG_HOLD)
        return -1;  /* SSL_ERROR_WANT_X509_LOOKUP until tls_reneg_release() */
    if (flags & TLS_RENEG_DONE)
        return 1;   /* a renegotiation: nothing else to ask */
    return tls_ocsp_cert_step(s);
}

int tls_reneg_enable(SSL *s)
{
    if (tls_reneg_index < 0)
        return 0;
    tls_reneg_set_flags(s, 0);
    SSL_set_info_callback(s, tls_reneg_info_cb);
    if (SSL_is_server(s))
        SSL_set_cert_cb(s, tls_server_cert_cb, NULL);
    return 1;
}

/* Python acted on the recorded start(s): let the handshake continue. */
void tls_reneg_release(SSL *s)
{
    tls_reneg_set_flags(s, tls_reneg_flags(s) & ~(intptr_t)TLS_RENEG_HOLD);
}
