/*
 * The socket driven from C: one call per readiness event of a plain TCP
 * connection (tls/_protocol/sockio.py is its Python side).
 *
 * Why: with asyncio's transport a 64-byte round trip crossed some 70 Python
 * calls per side (the selector's dispatch, the transport's _read_ready, the
 * protocol, the engine's feed and read, the drain, the transport's write).
 * Here the descriptor's read event is one C call that recv()s the ciphertext
 * into the SSL's read BIO and decrypts every complete record into the
 * caller's buffer, and a flush is one C call that send()s what OpenSSL
 * produced straight from the write BIO.
 *
 * The memory BIOs stay: OpenSSL never touches the descriptor, so the
 * engine's handshake, keylog, trace and every Python callback (SNI, ALPN,
 * sessions, OCSP) work exactly as on the memory path, and the write BIO is
 * the send queue.  When the kernel's buffer is full the unsent ciphertext
 * simply stays at the head of the write BIO, in order before any record
 * encrypted later; the write-ready event sends it (tls_sockio_flush again).
 * Nothing here allocates per call: recv() lands in the caller's (per-thread)
 * buffer and is copied into the BIO, send() reads the BIO's own memory.
 *
 * The result struct says everything that happened, so Python looks at one
 * object after one call: ciphertext received, the peer's FIN, the errno of a
 * failed recv()/send(), the decrypt loop's SSL_get_error() status, what was
 * sent and what still waits.
 */
#include <errno.h>
#include <string.h>
#ifndef _WIN32
#include <sys/types.h>
#include <sys/socket.h>
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0   /* macOS: CPython ignores SIGPIPE, so send() reports EPIPE */
#endif

typedef struct {
    size_t received;   /* ciphertext bytes recv()ed by this call */
    size_t produced;   /* ciphertext bytes in the write BIO before sending */
    size_t sent;       /* ciphertext bytes the kernel took */
    size_t queued;     /* ciphertext bytes still in the write BIO (kernel buffer full) */
    int status;        /* SSL_get_error() that stopped the decrypt loop, SSL_ERROR_NONE if buf filled */
    int eof;           /* recv() returned 0: the peer's FIN */
    int sys_errno;     /* errno of a failed recv() or send(), else 0 */
} tls_sockio_result;

#ifdef _WIN32
/* Windows: asyncio's proactor loop has no add_reader; the switch stays off (fd_transport.ENABLED). */
size_t tls_sockio_read(SSL *ssl, int fd, char *buf, size_t cap, size_t bound, int decrypt,
                       tls_sockio_result *r)
{
    memset(r, 0, sizeof(*r));
    r->sys_errno = ENOSYS;
    return 0;
}

size_t tls_sockio_flush(SSL *ssl, int fd, tls_sockio_result *r)
{
    memset(r, 0, sizeof(*r));
    r->sys_errno = ENOSYS;
    return 0;
}

int tls_sockio_handshake(SSL *ssl, int fd, char *buf, size_t cap, tls_sockio_result *r)
{
    memset(r, 0, sizeof(*r));
    r->sys_errno = ENOSYS;
    return -2;
}
#else
/*
 * recv() into the read BIO, through buf, until the kernel has no more
 * (a short read says so without another system call), the peer's FIN, an
 * error, or bound bytes.  Returns the bytes taken.
 */
static size_t sockio_recv(SSL *ssl, int fd, char *buf, size_t cap, size_t bound, tls_sockio_result *r)
{
    BIO *rbio = SSL_get_rbio(ssl);
    size_t total = 0;
    if (cap > 0x40000000)
        cap = 0x40000000;
    while (total < bound) {
        ssize_t n = recv(fd, buf, cap, 0);
        if (n > 0) {
            if (BIO_write(rbio, buf, (int)n) != (int)n) {
                r->sys_errno = ENOMEM;
                break;
            }
            total += (size_t)n;
            if ((size_t)n < cap)
                break;
            continue;
        }
        if (n == 0) {
            r->eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            r->sys_errno = errno;
        break;
    }
    r->received = total;
    return total;
}

/*
 * The read event: recv() what the kernel has into the read BIO; when
 * decrypt is set, then decrypt every complete record into buf (tls_read,
 * csrc/datapath.c), *r->status as for tls_read.  Returns the plaintext bytes
 * in buf.  The peer's FIN is reported (r->eof), not fed to OpenSSL: Python
 * delivers this call's plaintext first, then ends the stream as it does for a
 * transport's EOF.
 */
size_t tls_sockio_read(SSL *ssl, int fd, char *buf, size_t cap, size_t bound, int decrypt,
                       tls_sockio_result *r)
{
    r->received = r->produced = r->sent = r->queued = 0;
    r->eof = r->sys_errno = 0;
    r->status = SSL_ERROR_WANT_READ;
    sockio_recv(ssl, fd, buf, cap, bound, r);
    if (!decrypt)
        return 0;
    return tls_read(ssl, buf, cap, &r->status);
}

/*
 * A read event during the handshake: recv() what the kernel has into the
 * read BIO and, when anything came, run SSL_do_handshake() once, in one call
 * (the Python side made two calls for the recv, three for the handshake step
 * and its status).  Returns SSL_do_handshake()'s value, or -2 when nothing
 * was received (no step run: r->eof / r->sys_errno say why); on a value other
 * than 1, r->status holds SSL_get_error() for it, read right after the step
 * as OpenSSL requires.  The handshake's Python callbacks (SNI, ALPN, sessions,
 * keylog) run inside the step as in the engine's own handshake(); whatever
 * they stored (an error, deferred work) is acted on by the Python side after
 * this returns, and the flight is sent by its flush as before.
 */
int tls_sockio_handshake(SSL *ssl, int fd, char *buf, size_t cap, tls_sockio_result *r)
{
    int ret;
    r->received = r->produced = r->sent = r->queued = 0;
    r->eof = r->sys_errno = 0;
    r->status = SSL_ERROR_WANT_READ;
    if (sockio_recv(ssl, fd, buf, cap, cap, r) == 0)
        return -2;
    ret = SSL_do_handshake(ssl);
    r->status = ret == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);
    return ret;
}

/*
 * send() the write BIO's content from its own memory, consuming what the
 * kernel took.  Stops at EAGAIN (the rest waits in the BIO: r->queued) or an
 * error (r->sys_errno).  Returns the bytes sent.
 */
size_t tls_sockio_flush(SSL *ssl, int fd, tls_sockio_result *r)
{
    BIO *wbio = SSL_get_wbio(ssl);
    char discard[16384];
    r->sent = 0;
    r->sys_errno = 0;
    r->produced = BIO_ctrl_pending(wbio);
    for (;;) {
        char *data = NULL;
        long len = BIO_get_mem_data(wbio, &data);
        ssize_t n;
        if (len <= 0 || data == NULL)
            break;
        n = send(fd, data, (size_t)len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                r->sys_errno = errno;
            break;
        }
        r->sent += (size_t)n;
        {
            ssize_t left = n;
            while (left > 0) {   /* consume what was sent (a mem BIO read is a memcpy) */
                int chunk = left > (ssize_t)sizeof(discard) ? (int)sizeof(discard) : (int)left;
                int got = BIO_read(wbio, discard, chunk);
                if (got <= 0)
                    break;
                left -= got;
            }
        }
        if (n < (ssize_t)len)
            break;   /* a short send: the kernel's buffer is full */
    }
    r->queued = BIO_ctrl_pending(wbio);
    return r->sent;
}

#endif

/* Raw bytes to send after what waits (a net.Socket's own write beside its TLS). */
int tls_sockio_queue(SSL *ssl, const char *data, size_t len)
{
    BIO *wbio = SSL_get_wbio(ssl);
    while (len > 0) {
        int chunk = len > 0x40000000 ? 0x40000000 : (int)len;
        int n = BIO_write(wbio, data, chunk);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}
