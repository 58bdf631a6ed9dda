/* Readers for tls.X509Certificate (Node 20's crypto.X509Certificate) that
 * x509_info.c does not already provide, and tlsSocket.enableTrace().
 *
 * X509Certificate's subject / issuer are Node's GetSubject / GetIssuerString
 * (src/crypto/crypto_common.cc): X509_NAME_print_ex with Node's multi-line
 * flags, one "SN=value" per line, RFC 2253 escaping, UTF-8 output.  The
 * flags are macros of several OpenSSL headers, so the combination is made
 * here once rather than rebuilt from constants in Python.
 *
 * The packet trace is Node's TLSWrap::EnableTrace: SSL_trace as the message
 * callback, writing to a BIO on the C stderr.  It lives in C because the
 * callback runs inside every SSL_read / SSL_write / SSL_do_handshake: a
 * Python callback would cost a GIL round trip per record for text that only
 * goes to stderr.  BIO_write may fail (stderr a full non-blocking pipe); the
 * trace is best effort, so the error queue is restored around each call and
 * a failed trace line never turns into a failed handshake.
 */
#include <stdio.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define TLS_XN_FLAGS_MULTILINE \
    (ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT | \
     XN_FLAG_SEP_MULTILINE | XN_FLAG_FN_SN)

/* The subject (issuer == 0) or issuer name as Node's X509Certificate prints
 * it, into `out`.  1 on success, 0 when OpenSSL prints nothing (Node: the
 * property is undefined); `out` is left empty then. */
int tls_x509_name_text(X509 *cert, int issuer, BIO *out)
{
    const X509_NAME *name = issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert);
    if (name == NULL)
        return 0;
    if (X509_NAME_print_ex(out, name, 0, TLS_XN_FLAGS_MULTILINE) <= 0) {
        (void)BIO_reset(out);
        return 0;
    }
    return 1;
}

/* 1 when this OpenSSL has SSL_trace (not built with no-ssl-trace). */
int tls_trace_available(void)
{
#ifdef OPENSSL_NO_SSL_TRACE
    return 0;
#else
    return 1;
#endif
}

#ifndef OPENSSL_NO_SSL_TRACE
/* One BIO on stderr for every traced connection, made once and kept for the
 * life of the process (Node makes one per socket; the text is the same and a
 * shared one needs no cleanup tied to the SSL's life).  BIO_NOCLOSE: stderr
 * stays open. */
static BIO *tls__trace_bio = NULL;
static CRYPTO_ONCE tls__trace_once = CRYPTO_ONCE_STATIC_INIT;

static void tls__trace_bio_init(void)
{
    tls__trace_bio = BIO_new_fp(stderr, BIO_NOCLOSE | BIO_FP_TEXT);
}

static void tls__trace(int write_p, int version, int content_type, const void *buf,
                       size_t len, SSL *ssl, void *arg)
{
    ERR_set_mark();
    SSL_trace(write_p, version, content_type, buf, len, ssl, arg);
    ERR_pop_to_mark();
}
#endif

/* Turn the trace on for one connection: 1 done, 0 no memory, -1 not built. */
int tls_enable_trace(SSL *ssl)
{
#ifdef OPENSSL_NO_SSL_TRACE
    (void)ssl;
    return -1;
#else
    if (!CRYPTO_THREAD_run_once(&tls__trace_once, tls__trace_bio_init) || tls__trace_bio == NULL)
        return 0;
    SSL_set_msg_callback(ssl, tls__trace);
    SSL_set_msg_callback_arg(ssl, tls__trace_bio);
    return 1;
#endif
}
