/*
 * OCSP stapling (tls/_ocsp.py) without Python on OpenSSL's stack.
 *
 * Server: tls_ocsp_cert_step() runs from the server certificate callback
 * (csrc/renegotiation.c owns that callback, installed on every server
 * connection) in the first handshake of a connection whose server had
 * 'OCSPRequest' listeners.  It pauses the handshake
 * (SSL_ERROR_WANT_X509_LOOKUP) when the client sent status_request.  The
 * certificate callback runs after the client-hello and servername callbacks,
 * so SNI has already picked the context.  Python sees the REQUESTED state
 * once SSL_do_handshake returned, emits 'OCSPRequest', and tls_ocsp_done()
 * stores the response and lets the next SSL_do_handshake through.  The status
 * callback then only tells OpenSSL to staple what is stored (it is set on the
 * context in use at that moment, which may be an SNI context).
 *
 * Client: with requestOCSP the status callback marks the response as arrived
 * (OpenSSL calls it whether or not the server stapled); Python reads it with
 * tls_ocsp_take_response() after SSL_do_handshake returned and emits
 * 'OCSPResponse' before 'secure'.
 *
 * The per-connection state is a small integer kept in SSL ex_data (no
 * allocation, nothing to free); 0 means OCSP is not wired.
 */
#include <stdint.h>

#define TLS_OCSP_OFF 0
#define TLS_OCSP_IDLE 1
#define TLS_OCSP_REQUESTED 2   /* server: callback paused, Python must emit */
#define TLS_OCSP_RUNNING 3     /* server: 'OCSPRequest' emitted, waiting */
#define TLS_OCSP_DONE 4        /* server: answered / client: reported */
#define TLS_OCSP_ARRIVED 5     /* client: status callback ran */

static int tls_ocsp_slot_init(void)
{
    if (tls_ocsp_index < 0)
        tls_ocsp_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return tls_ocsp_index >= 0;
}

static intptr_t tls_ocsp_get(const SSL *s)
{
    return (intptr_t)SSL_get_ex_data(s, tls_ocsp_index);
}

static void tls_ocsp_put(SSL *s, intptr_t state)
{
    SSL_set_ex_data(s, tls_ocsp_index, (void *)state);
}

/* The OCSP part of the server certificate callback: 1 = go on, -1 = pause. */
static int tls_ocsp_cert_step(SSL *s)
{
    intptr_t state;
    if (tls_ocsp_index < 0)
        return 1;
    state = tls_ocsp_get(s);
    if (state == TLS_OCSP_OFF || state == TLS_OCSP_DONE
        || SSL_get_tlsext_status_type(s) != TLSEXT_STATUSTYPE_ocsp)
        return 1;
    if (state == TLS_OCSP_IDLE)
        tls_ocsp_put(s, TLS_OCSP_REQUESTED);
    return -1;  /* suspend: SSL_ERROR_WANT_X509_LOOKUP until tls_ocsp_done() */
}

static int tls_ocsp_status_cb(SSL *s, void *arg)
{
    (void)arg;
    if (SSL_is_server(s))
        /* Staples the response set by tls_ocsp_done(), if any (none: no status). */
        return SSL_TLSEXT_ERR_OK;
    if (tls_ocsp_get(s) != TLS_OCSP_DONE)
        tls_ocsp_put(s, TLS_OCSP_ARRIVED);
    return 1;  /* the client accepts; its 'OCSPResponse' listener may destroy */
}

/* Server: pause for 'OCSPRequest' when the client asks for a status
 * (the certificate callback of csrc/renegotiation.c must be installed). */
int tls_ocsp_server_enable(SSL *s)
{
    if (tls_ocsp_index < 0)
        return 0;
    tls_ocsp_put(s, TLS_OCSP_IDLE);
    return 1;
}

/* Client: send status_request and report the answer. */
int tls_ocsp_client_enable(SSL *s)
{
    if (tls_ocsp_index < 0)
        return 0;
    tls_ocsp_put(s, TLS_OCSP_IDLE);
    if (SSL_set_tlsext_status_type(s, TLSEXT_STATUSTYPE_ocsp) != 1)
        return 0;
    SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(s), tls_ocsp_status_cb);
    return 1;
}

int tls_ocsp_state(const SSL *s)
{
    return (int)tls_ocsp_get(s);
}

void tls_ocsp_set_state(SSL *s, int state)
{
    tls_ocsp_put(s, state);
}

/* Server: the 'OCSPRequest' callback answered; resp may be NULL (no staple).
 * An empty response staples nothing either (Node copies it into
 * OPENSSL_malloc(0), which is NULL).  OpenSSL takes ownership of the copy. */
int tls_ocsp_done(SSL *s, const unsigned char *resp, size_t len)
{
    tls_ocsp_put(s, TLS_OCSP_DONE);
    if (resp != NULL && len > 0) {
        unsigned char *copy = OPENSSL_memdup(resp, len);
        if (copy == NULL)
            return 0;
        if (SSL_set_tlsext_status_ocsp_resp(s, copy, (long)len) != 1) {
            OPENSSL_free(copy);
            return 0;
        }
        SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(s), tls_ocsp_status_cb);
    }
    return 1;
}

/* Client: -2 when the status callback has not run since the last call,
 * -1 when it ran without a stapled response, else the response length
 * (*out points into the SSL, valid until the next handshake step). */
long tls_ocsp_take_response(SSL *s, const unsigned char **out)
{
    long len;
    if (tls_ocsp_get(s) != TLS_OCSP_ARRIVED)
        return -2;
    tls_ocsp_put(s, TLS_OCSP_DONE);
    *out = NULL;
    len = SSL_get_tlsext_status_ocsp_resp(s, out);
    if (*out == NULL || len < 0)
        return -1;
    return len;
}
