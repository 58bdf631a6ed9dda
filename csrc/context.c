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

/* Every ex_data slot of the module, once, at import (csrc/tls_helpers.h says why). */
int tls_ex_data_init(void)
{
    if (tls_ssl_index < 0)
        tls_ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return tls_ssl_index >= 0 && tls_protos_slots_init() && tls_neg_slot_init() && tls_ocsp_slot_init()
           && tls_reneg_slot_init() && tls_sess_slot_init() && tls_ticket_slot_init();
}

/* The slots as allocated, without allocating: SSL slots (engine handle, ALPN,
 * NPN, negotiation, OCSP, renegotiation, sessions), then the SSL_CTX ticket
 * keys slot.  Writes at most n; answers how many there are. */
int tls_ex_data_slots(int *out, int n)
{
    const int slots[] = {tls_ssl_index, tls_alpn_index, tls_npn_index, tls_neg_index, tls_ocsp_index,
                         tls_reneg_index, tls_sess_index, tls_ticket_index};
    const int count = (int)(sizeof(slots) / sizeof(slots[0]));
    int i;
    for (i = 0; i < count && i < n; i++)
        out[i] = slots[i];
    return count;
}

int tls_ssl_ex_index(void)
{
    return tls_ssl_index;
}
