"""Declarations for csrc/sockio.c: the socket driven from C (tls._protocol.sockio)."""
INCLUDES = """
#include <errno.h>
"""
TYPES = """
typedef struct {
    size_t received;
    size_t produced;
    size_t sent;
    size_t queued;
    int status;
    int eof;
    int sys_errno;
} tls_sockio_result;
"""
FUNCTIONS = """
size_t tls_sockio_read(SSL *, int, char *, size_t, size_t, int, tls_sockio_result *);
size_t tls_sockio_flush(SSL *, int, tls_sockio_result *);
int tls_sockio_handshake(SSL *, int, char *, size_t, tls_sockio_result *);
int tls_sockio_queue(SSL *, const char *, size_t);
"""
CUSTOMIZATIONS = ""
