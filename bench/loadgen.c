/*
 * loadgen: the one fixed load generator of the benchmark suite (bench/run.py builds it).
 *
 * Two roles, both single-threaded epoll loops over non-blocking OpenSSL:
 *
 *   loadgen client --scenario S --port P [--host H] [--duration SECS] [--conns N]
 *                  [--ca FILE] [--pid PID] [--warm W]
 *       drives a server under test.  S is one of
 *         bulk      one connection, TLS 1.3 AES-128-GCM, writes 16 KiB records for SECS; the
 *                   server (mode "sink") answers one byte per MiB received; the clock stops at
 *                   the last answer, so the figure is what the server really took in (MB/s).
 *         hs        full handshakes, TLS 1.3, N in flight: connect, handshake, send 1 byte,
 *                   read the echo (the server has finished its side), close_notify, close.
 *         resume12  like hs with TLS 1.2 and the latest session ticket (resumed handshakes)
 *         resume13  like hs with TLS 1.3 and the latest session ticket (psk_dhe_ke, as Node/OpenSSL)
 *         echo      N connections, each with one 64-byte message in flight (round trips/s);
 *                   the clock starts once all N handshakes are done.
 *         idle      opens W connections (handshake + 1-byte echo each), prints "WARM W",
 *                   waits for a line on stdin, opens N more, prints "READY N", waits for
 *                   a line (or EOF) on stdin and exits: the runner reads the server's RSS
 *                   in between (memory per idle established connection).
 *       It prints one JSON line: ops, secs, rate, bytes, reused, errors, cpu (its own CPU
 *       seconds in the window) and, with --pid, peer_cpu (that process's utime+stime delta
 *       over the same window, from /proc/PID/stat).
 *
 *   loadgen server --cert FILE --key FILE [--mode echo|sink] [--port 0]
 *       the fixed plain-C server for the client-side scenarios: prints its port, then serves
 *       until killed.  "echo" writes back what it reads; "sink" answers one byte 'k' per MiB.
 *       It accepts only TLS_AES_128_GCM_SHA256 in TLS 1.3 and X25519/P-256, so every client
 *       under test (Python's ssl cannot narrow its TLS 1.3 offer) gets the same suite.
 *
 * Every TLS 1.3 connection uses TLS_AES_128_GCM_SHA256 and X25519 (the client offers only
 * those), TLS 1.2 uses ECDHE-{ECDSA,RSA}-AES128-GCM-SHA256.  The client verifies the server
 * (--ca, host name "localhost"), as the clients under test do.
 *
 * Build: cc -O2 -o bin/loadgen loadgen.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACK_UNIT (1u << 20)     /* the sink answers one byte per MiB */
#define BULK_CHUNK 16384        /* one full TLS record per write */
#define ECHO_SIZE 64
#define STALL_SECS 6.0          /* no progress for this long: give up, report failure */
#define MAX_ERRORS 200

enum { ST_CONNECTING, ST_HANDSHAKE, ST_RUN, ST_IDLE, ST_DONE };
enum { SC_BULK, SC_HS, SC_RESUME12, SC_RESUME13, SC_ECHO, SC_IDLE };

typedef struct conn {
    int fd;
    SSL *ssl;
    int state;
    uint32_t events;            /* current epoll interest */
    int want_write;             /* last SSL call wanted to write */
    /* pending plaintext to SSL_write (owned buffer, allocated only while data is in flight) */
    unsigned char *obuf;
    size_t olen, opos, ocap;
    uint64_t in_count;          /* bytes read (echo/handshake) or sink counter (server) */
    uint64_t sent;              /* bulk: bytes accepted by SSL_write */
    int stop_sending;
} conn;

/* ---------------------------------------------------------------- common */
static int epfd;
static unsigned char scratch[65536];
static unsigned char bulk_chunk[BULK_CHUNK];
static unsigned char echo_msg[ECHO_SIZE];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double self_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime+stime of a process from /proc/PID/stat, in seconds; -1 when unreadable */
static double proc_cpu(int pid) {
    char path[64], buf[4096];
    if (pid <= 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* fields after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
       cmajflt utime(14) stime(15) */
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void set_events(conn *c, uint32_t ev) {
    if (c->events == ev) return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) < 0)
        die("epoll_ctl: %s", strerror(errno));
    c->events = ev;
}

static void queue_out(conn *c, const void *data, size_t len) {
    if (c->opos == c->olen) c->opos = c->olen = 0;
    if (c->olen + len > c->ocap) {
        size_t cap = c->ocap ? c->ocap : 256;
        while (cap < c->olen + len) cap *= 2;
        c->obuf = realloc(c->obuf, cap);
        if (!c->obuf) die("out of memory");
        c->ocap = cap;
    }
    memcpy(c->obuf + c->olen, data, len);
    c->olen += len;
}

/* Write pending output.  Returns 1 when all written, 0 when blocked, -1 on error. */
static int flush_out(conn *c) {
    while (c->opos < c->olen) {
        int r = SSL_write(c->ssl, c->obuf + c->opos, (int)(c->olen - c->opos));
        if (r > 0) {
            c->opos += r;
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE) { c->want_write = 1; return 0; }
        if (e == SSL_ERROR_WANT_READ) return 0;
        return -1;
    }
    c->opos = c->olen = 0;
    if (c->ocap > 4096) {           /* keep idle connections small */
        free(c->obuf);
        c->obuf = NULL;
        c->ocap = 0;
    }
    return 1;
}

static void conn_free(conn *c) {
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) close(c->fd);     /* close() drops it from the epoll set */
    free(c->obuf);
    c->ssl = NULL;
    c->fd = -1;
    c->obuf = NULL;
    c->olen = c->opos = c->ocap = 0;
    c->events = 0;
}

static void configure_ctx_common(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
}

/* ---------------------------------------------------------------- server */
static SSL_CTX *server_ctx;
static int sink_mode;

static void server_drive(conn *c) {
    c->want_write = 0;
    if (c->state == ST_HANDSHAKE) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            ERR_clear_error();
            conn_free(c);
            free(c);
            return;
        }
        c->state = ST_RUN;
    }
    for (;;) {
        int f = flush_out(c);
        if (f < 0) goto fail;
        if (f == 0) {   /* blocked on output: stop reading (backpressure) */
            set_events(c, c->want_write ? EPOLLOUT : EPOLLIN);
            return;
        }
        int r = SSL_read(c->ssl, scratch, sizeof scratch);
        if (r > 0) {
            if (sink_mode) {
                c->in_count += r;
                unsigned char acks[64];
                size_t k = 0;
                while (c->in_count >= ACK_UNIT) {
                    c->in_count -= ACK_UNIT;
                    acks[k++] = 'k';
                    if (k == sizeof acks) { queue_out(c, acks, k); k = 0; }
                }
                if (k) queue_out(c, acks, k);
            } else {
                queue_out(c, scratch, r);
            }
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
        if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
        if (e == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl);   /* answer close_notify */
        goto fail;
    }
fail:
    ERR_clear_error();
    conn_free(c);
    free(c);
}

static int run_server(const char *cert, const char *key, int port) __attribute__((noreturn));
static int run_server(const char *cert, const char *key, int port) {
    server_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(server_ctx, TLS1_2_VERSION);
    configure_ctx_common(server_ctx);
    /* the same suite and group for every client under test: Python's ssl cannot narrow its TLS 1.3 offer */
    SSL_CTX_set_ciphersuites(server_ctx, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set1_groups_list(server_ctx, "X25519:P-256");
    if (SSL_CTX_use_certificate_chain_file(server_ctx, cert) != 1) die("cannot load %s", cert);
    if (SSL_CTX_use_PrivateKey_file(server_ctx, key, SSL_FILETYPE_PEM) != 1) die("cannot load %s", key);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) die("bind: %s", strerror(errno));
    if (listen(lfd, 4096) < 0) die("listen: %s", strerror(errno));
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);

    epfd = epoll_create1(0);
    conn listener = {.fd = lfd};
    set_events(&listener, EPOLLIN);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(epfd, evs, 256, -1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c == &listener) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    nc->ssl = SSL_new(server_ctx);
                    SSL_set_fd(nc->ssl, fd);
                    SSL_set_accept_state(nc->ssl);
                    nc->state = ST_HANDSHAKE;
                    set_events(nc, EPOLLIN);
                }
                continue;
            }
            server_drive(c);
        }
    }
}

/* ---------------------------------------------------------------- client */
static SSL_CTX *client_ctx;
static int scenario;
static struct sockaddr_in target;
static double deadline, t_start, t_end, last_progress;
static uint64_t ops, reused, errors, total_bytes, established;
static int stop_starting;
static SSL_SESSION *latest_session;
static int use_sessions;
static int verbose_errors = 5;

static int new_session_cb(SSL *ssl, SSL_SESSION *sess) {
    (void)ssl;
    if (!SSL_SESSION_is_resumable(sess)) return 0;
    if (latest_session) SSL_SESSION_free(latest_session);
    latest_session = sess;   /* we keep the reference */
    return 1;
}

static void conn_error(conn *c, const char *what) {
    errors++;
    if (verbose_errors > 0) {
        verbose_errors--;
        unsigned long e = ERR_peek_error();
        char buf[256] = "";
        if (e) ERR_error_string_n(e, buf, sizeof buf);
        fprintf(stderr, "loadgen: connection error (%s) errno=%s %s\n", what, strerror(errno), buf);
    }
    ERR_clear_error();
    conn_free(c);
    c->state = ST_DONE;
}

static void client_start(conn *c) {
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = ST_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        conn_error(c, "connect");
        return;
    }
    set_events(c, EPOLLOUT);
}

/* one handshake-scenario connection is done: count it and maybe start the next one */
static void client_finish(conn *c, int count) {
    if (count) {
        ops++;
        last_progress = now();
    }
    SSL_shutdown(c->ssl);      /* sends close_notify; we do not wait for the answer */
    ERR_clear_error();
    conn_free(c);
    c->state = ST_DONE;
}

/* bulk: all sent and every MiB acknowledged by the server */
static int bulk_complete(conn *c) {
    if (!c->stop_sending || c->in_count * ACK_UNIT < c->sent) return 0;
    t_end = now();
    total_bytes = c->sent;
    ops = c->sent / ACK_UNIT;
    client_finish(c, 0);
    return 1;
}

static void client_drive(conn *c) {
    if (c->state == ST_DONE) return;
    c->want_write = 0;
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { errno = err; conn_error(c, "connect"); return; }
        c->ssl = SSL_new(client_ctx);
        SSL_set_fd(c->ssl, c->fd);
        SSL_set_connect_state(c->ssl);
        SSL_set_tlsext_host_name(c->ssl, "localhost");
        SSL_set1_host(c->ssl, "localhost");
        if (use_sessions && latest_session) {
            /* a fresh copy each time, as Node's client does (it keeps sessions as DER buffers):
               OpenSSL marks a TLS 1.3 session object it has resumed from as used up, and a
               server may not send a new ticket after a resumption (Node's does not) */
            SSL_SESSION *copy = SSL_SESSION_dup(latest_session);
            SSL_set_session(c->ssl, copy);
            SSL_SESSION_free(copy);
        }
        c->state = ST_HANDSHAKE;
    }
    if (c->state == ST_HANDSHAKE) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            conn_error(c, "handshake");
            return;
        }
        if (SSL_session_reused(c->ssl)) reused++;
        c->state = ST_RUN;
        if (scenario == SC_ECHO) {
            /* wait until every connection is up; the runner loop starts the clock */
            established++;
            c->state = ST_IDLE;
            set_events(c, EPOLLIN);
            return;
        }
        if (scenario == SC_BULK) {
            /* run_client starts the clock and the transfer */
            t_start = now();
            last_progress = t_start;
            set_events(c, EPOLLOUT);
            return;
        } else {
            queue_out(c, "h", 1);   /* hs, resume*, idle: one byte, wait for its echo */
        }
    }
    if (c->state == ST_IDLE) {     /* drain whatever arrives (tickets), keep the connection */
        for (;;) {
            int r = SSL_read(c->ssl, scratch, sizeof scratch);
            if (r > 0) continue;
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            conn_error(c, "idle connection closed");
            return;
        }
    }
    for (;;) {
        if (scenario == SC_BULK && !c->stop_sending && c->opos == c->olen) {
            /* keep one chunk queued; stop on a MiB boundary once the time is up */
            if (now() >= deadline && c->sent % ACK_UNIT == 0) {
                c->stop_sending = 1;
                if (bulk_complete(c)) return;
            } else {
                queue_out(c, bulk_chunk, BULK_CHUNK);
                c->sent += BULK_CHUNK;
            }
        }
        int f = flush_out(c);
        if (f < 0) { conn_error(c, "write"); return; }
        int blocked = (f == 0);
        if (scenario == SC_BULK && !blocked && !c->stop_sending) {
            /* read acks without blocking, then continue writing */
            for (;;) {
                int r = SSL_read(c->ssl, scratch, sizeof scratch);
                if (r > 0) { c->in_count += r; last_progress = now(); continue; }
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
                conn_error(c, "read");
                return;
            }
            continue;
        }
        if (blocked) {
            set_events(c, c->want_write ? EPOLLOUT : EPOLLIN);
            return;
        }
        /* everything written: read */
        int r = SSL_read(c->ssl, scratch, sizeof scratch);
        if (r > 0) {
            c->in_count += r;
            last_progress = now();
            switch (scenario) {
            case SC_BULK:
                if (bulk_complete(c)) return;
                break;
            case SC_ECHO:
                while (c->in_count >= ECHO_SIZE) {
                    c->in_count -= ECHO_SIZE;
                    ops++;
                    if (now() >= deadline) {
                        client_finish(c, 0);
                        return;
                    }
                    queue_out(c, echo_msg, ECHO_SIZE);
                }
                break;
            case SC_IDLE:
                established++;
                c->state = ST_IDLE;
                set_events(c, EPOLLIN);
                return;
            default:               /* hs, resume12, resume13: the echo of our byte is back */
                client_finish(c, 1);
                return;
            }
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
        if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
        conn_error(c, "read");
        return;
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen client --scenario bulk|hs|resume12|resume13|echo|idle --port P "
            "[--host H] [--duration S] [--conns N] [--ca FILE] [--pid PID] [--warm W]\n"
            "       loadgen server --cert FILE --key FILE [--mode echo|sink] [--port P]\n");
    exit(2);
}

static void wait_stdin_line(void) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return;
}

static void fail_json(const char *why) {
    printf("{\"ok\": false, \"error\": \"%s\", \"ops\": %llu, \"reused\": %llu, \"errors\": %llu}\n",
           why, (unsigned long long)ops, (unsigned long long)reused, (unsigned long long)errors);
    fflush(stdout);
    exit(3);
}

/* run the event loop over conns[0..n) until every slot is ST_DONE (or ST_IDLE with idle_ok) */
static void client_loop(conn *conns, int n, int idle_ok, int restart, double hard_deadline) {
    struct epoll_event evs[256];
    for (;;) {
        int active = 0;
        for (int i = 0; i < n; i++) {
            if (conns[i].state == ST_DONE && restart && !stop_starting) {
                if (errors > MAX_ERRORS) fail_json("too many connection errors");
                client_start(&conns[i]);
            }
            if (conns[i].state != ST_DONE && !(idle_ok && conns[i].state == ST_IDLE)) active++;
        }
        if (!active) return;
        int k = epoll_wait(epfd, evs, 256, 50);
        if (k < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < k; i++) client_drive(evs[i].data.ptr);
        double t = now();
        if (restart && t >= deadline) stop_starting = 1;
        if (t - last_progress > STALL_SECS) fail_json("stalled: no progress");
        if (t > hard_deadline) fail_json("timed out");
    }
}

static int run_client(int argc, char **argv) {
    const char *host = "127.0.0.1", *ca = NULL, *sc = NULL;
    int port = 0, nconns = 0, pid = 0, warm = 0;
    double duration = 2.0;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--scenario")) sc = argv[++i];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host")) host = argv[++i];
        else if (!strcmp(argv[i], "--duration")) duration = atof(argv[++i]);
        else if (!strcmp(argv[i], "--conns")) nconns = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ca")) ca = argv[++i];
        else if (!strcmp(argv[i], "--pid")) pid = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warm")) warm = atoi(argv[++i]);
        else usage();
    }
    if (!sc || !port) usage();
    if (!strcmp(sc, "bulk")) scenario = SC_BULK;
    else if (!strcmp(sc, "hs")) scenario = SC_HS;
    else if (!strcmp(sc, "resume12")) scenario = SC_RESUME12;
    else if (!strcmp(sc, "resume13")) scenario = SC_RESUME13;
    else if (!strcmp(sc, "echo")) scenario = SC_ECHO;
    else if (!strcmp(sc, "idle")) scenario = SC_IDLE;
    else usage();
    if (nconns <= 0) nconns = (scenario == SC_BULK) ? 1 : (scenario == SC_ECHO ? 1 : 8);
    if (scenario == SC_BULK) nconns = 1;

    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &target.sin_addr) != 1) die("bad host %s", host);

    client_ctx = SSL_CTX_new(TLS_client_method());
    configure_ctx_common(client_ctx);
    int v = scenario == SC_RESUME12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(client_ctx, v);
    SSL_CTX_set_max_proto_version(client_ctx, v);
    SSL_CTX_set_ciphersuites(client_ctx, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_cipher_list(client_ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
    /* X25519 for the key exchange; P-256 listed too because TLS 1.2 needs it for an ECDSA P-256 cert */
    SSL_CTX_set1_groups_list(client_ctx, "X25519:P-256");
    if (ca) {
        if (SSL_CTX_load_verify_locations(client_ctx, ca, NULL) != 1) die("cannot load %s", ca);
        SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
    }
    use_sessions = (scenario == SC_RESUME12 || scenario == SC_RESUME13);
    if (use_sessions) {
        SSL_CTX_set_session_cache_mode(client_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(client_ctx, new_session_cb);
    }
    memset(bulk_chunk, 'b', sizeof bulk_chunk);
    memset(echo_msg, 'e', sizeof echo_msg);
    epfd = epoll_create1(0);

    double t0 = now();
    last_progress = t0;
    double hard = t0 + duration + 60.0;
    double cpu0 = -1, peer0 = -1;
    conn *conns = calloc(nconns > warm ? nconns : (warm ? warm : 1), sizeof *conns);

    if (scenario == SC_IDLE) {
        /* phase 1: warm-up connections, phase 2: the measured ones */
        conn *wc = calloc(warm ? warm : 1, sizeof *wc);
        for (int i = 0; i < warm; i++) client_start(&wc[i]);
        client_loop(wc, warm, 1, 0, hard);
        if (errors) fail_json("connection errors while opening warm-up connections");
        printf("WARM %d\n", warm);
        fflush(stdout);
        wait_stdin_line();
        /* open nconns more, at most 16 handshakes in flight */
        int opened = 0;
        last_progress = now();
        hard = now() + 120.0;
        while (opened < nconns) {
            int batch = nconns - opened < 16 ? nconns - opened : 16;
            for (int i = 0; i < batch; i++) client_start(&conns[opened + i]);
            client_loop(conns + opened, batch, 1, 0, hard);
            if (errors) fail_json("connection errors while opening idle connections");
            opened += batch;
        }
        printf("READY %d\n", nconns);
        fflush(stdout);
        wait_stdin_line();
        printf("{\"ok\": true, \"scenario\": \"idle\", \"ops\": %d, \"errors\": 0}\n", nconns);
        return 0;
    }

    if (scenario == SC_ECHO) {
        for (int i = 0; i < nconns; i++) client_start(&conns[i]);
        client_loop(conns, nconns, 1, 0, hard);
        if (errors) fail_json("connection errors while opening echo connections");
        t_start = now();
        deadline = t_start + duration;
        last_progress = t_start;
        cpu0 = self_cpu();
        peer0 = proc_cpu(pid);
        for (int i = 0; i < nconns; i++) {
            conns[i].state = ST_RUN;
            queue_out(&conns[i], echo_msg, ECHO_SIZE);
            client_drive(&conns[i]);
        }
        client_loop(conns, nconns, 0, 0, hard);
        t_end = now();
        total_bytes = ops * ECHO_SIZE;
    } else if (scenario == SC_BULK) {
        deadline = t0 + duration;   /* reset below once the handshake is done */
        client_start(&conns[0]);
        /* the handshake sets t_start; the transfer then lasts `duration` */
        struct epoll_event evs[8];
        while (conns[0].state == ST_CONNECTING || conns[0].state == ST_HANDSHAKE) {
            int k = epoll_wait(epfd, evs, 8, 50);
            for (int i = 0; i < k; i++) client_drive(evs[i].data.ptr);
            if (now() - last_progress > STALL_SECS) fail_json("stalled in handshake");
        }
        if (conns[0].state == ST_DONE) fail_json("bulk connection failed");
        deadline = t_start + duration;
        cpu0 = self_cpu();
        peer0 = proc_cpu(pid);
        client_drive(&conns[0]);
        client_loop(conns, 1, 0, 0, hard);
        if (!t_end) fail_json("bulk transfer did not complete");
    } else {
        if (use_sessions) {
            /* one priming connection brings the first ticket: every measured handshake can resume */
            conn prime;
            deadline = now() + duration;
            client_start(&prime);
            client_loop(&prime, 1, 0, 0, hard);
            if (!latest_session) fail_json("the priming connection brought no session ticket");
            ops = reused = 0;
            t0 = now();
        }
        t_start = t0;
        deadline = t0 + duration;
        cpu0 = self_cpu();
        peer0 = proc_cpu(pid);
        for (int i = 0; i < nconns; i++) conns[i].state = ST_DONE;
        client_loop(conns, nconns, 0, 1, hard);
        t_end = now();
    }
    double cpu = self_cpu() - cpu0;
    double peer = (pid > 0 && peer0 >= 0) ? proc_cpu(pid) - peer0 : -1;
    double secs = t_end - t_start;
    if (ops == 0) fail_json("no operation completed");
    if (errors > ops / 100 + 2) fail_json("too many connection errors");
    if (use_sessions && reused < ops * 9 / 10) fail_json("sessions were not resumed");
    double rate = scenario == SC_BULK ? total_bytes / 1e6 / secs : ops / secs;
    printf("{\"ok\": true, \"scenario\": \"%s\", \"ops\": %llu, \"secs\": %.6f, \"rate\": %.3f, "
           "\"bytes\": %llu, \"reused\": %llu, \"errors\": %llu, \"cpu\": %.4f, \"peer_cpu\": %.4f, "
           "\"conns\": %d}\n",
           sc, (unsigned long long)ops, secs, rate, (unsigned long long)total_bytes,
           (unsigned long long)reused, (unsigned long long)errors, cpu, peer, nconns);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) usage();
    if (!strcmp(argv[1], "client")) return run_client(argc, argv);
    if (!strcmp(argv[1], "server")) {
        const char *cert = NULL, *key = NULL;
        int port = 0;
        for (int i = 2; i < argc; i++) {
            if (i + 1 >= argc) usage();
            if (!strcmp(argv[i], "--cert")) cert = argv[++i];
            else if (!strcmp(argv[i], "--key")) key = argv[++i];
            else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
            else if (!strcmp(argv[i], "--mode")) sink_mode = !strcmp(argv[++i], "sink");
            else usage();
        }
        if (!cert || !key) usage();
        return run_server(cert, key, port);
    }
    usage();
    return 2;
}
