/* Declarations shared by the C helpers in csrc/ (concatenated into tls._openssl). */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>

typedef struct {
    const char *data;
    int len;
} tls_passphrase;

/*
 * The ex_data slots of the module, all in one list.  The file that uses a slot
 * has its initialiser (with the slot's free callback); tls_ex_data_init()
 * (csrc/context.c) calls them all once, from tls/_binding.py at import, before
 * any socket exists.  Allocating lazily instead would race: cffi releases the
 * GIL around every call into this module, so two threads could both see -1,
 * allocate two indexes and store under one while reading under the other.
 * Before that (never, once the import succeeded) a slot is -1, where
 * SSL_get_ex_data answers NULL and SSL_set_ex_data fails.
 */
static int tls_ssl_index = -1;     /* the TLSEngine handle (csrc/datapath.c, tls/_engine.py) */
static int tls_alpn_index = -1;    /* csrc/alpn.c: this connection's ALPN list */
static int tls_npn_index = -1;     /* csrc/alpn.c: this connection's NPN list */
static int tls_neg_index = -1;     /* csrc/negotiation.c: ClientHello / ALPN callback state */
static int tls_ocsp_index = -1;    /* csrc/ocsp_stapling.c: OCSP state */
static int tls_reneg_index = -1;   /* csrc/renegotiation.c: handshake flags */
static int tls_sess_index = -1;    /* csrc/sessions.c: session state */
static int tls_ticket_index = -1;  /* csrc/tickets.c: the ticket key ring (an SSL_CTX slot) */
#define TLS_TICKET_RING_MAX 8      /* csrc/tickets.c: keys a ring holds (the current one first) */

static int tls_protos_slots_init(void);
static int tls_neg_slot_init(void);
static int tls_ocsp_slot_init(void);
static int tls_reneg_slot_init(void);
static int tls_sess_slot_init(void);
static int tls_ticket_slot_init(void);
