"""The C helpers of csrc/ (compiled into the module)."""
INCLUDES = ""
TYPES = """
typedef struct {
    const char *data;
    int len;
} tls_passphrase;
"""
FUNCTIONS = """
int tls_feed(SSL *, const char *, size_t);
size_t tls_read(SSL *, char *, size_t, int *);
size_t tls_write(SSL *, const char *, size_t, size_t, int *);
size_t tls_drain(SSL *, char *, size_t);
int tls_attach_memory_bios(SSL *);
void tls_feed_eof(SSL *);
int tls_verify_accept_all(int, X509_STORE_CTX *);
int tls_passphrase_cb(char *, int, int, void *);
int tls_ssl_ex_index(void);
int tls_ex_data_init(void);
int tls_ex_data_slots(int *, int);
"""
CUSTOMIZATIONS = ""

FUNCTIONS += """
int tls_ctx_set_ticket_keys(SSL_CTX *, const unsigned char *, size_t);
#define TLS_TICKET_RING_MAX ...
int tls_ctx_set_ticket_ring(SSL_CTX *, const unsigned char *, size_t);
int tls_set_npn_protos(SSL *, const unsigned char *, unsigned int, int);
"""

FUNCTIONS += """
SSL *tls_engine_new(SSL_CTX *, int, void *);
"""

FUNCTIONS += """
size_t tls_write_out(SSL *, const char *, size_t, size_t, int *, char *, size_t, size_t *);
"""
