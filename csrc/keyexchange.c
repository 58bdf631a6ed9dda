/*
 * Key exchange facts for tls/_keyexchange.py (Node's GetEphemeralKey in
 * src/crypto/crypto_common.cc): the server's ephemeral key as the client saw
 * it.  Returns 0 when there is none (RSA key exchange, no handshake yet),
 * 1 for DH (bits), 2 for ECDH (bits and the curve's OpenSSL short name).
 */
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ec.h>

int tls_ephemeral_key_info(SSL *s, int *bits, char *name, size_t name_len)
{
    EVP_PKEY *key = NULL;
    int kind = 0, id, nid = NID_undef;
    const char *sn = NULL;

    if (name_len > 0)
        name[0] = '\0';
    if (!SSL_get_peer_tmp_key(s, &key) || key == NULL) {
        ERR_clear_error();
        return 0;
    }
    id = EVP_PKEY_get_id(key);
    *bits = EVP_PKEY_get_bits(key);
    switch (id) {
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
        kind = 1;
        break;
    case EVP_PKEY_EC: {
        char group[80];
        size_t group_len = 0;
        kind = 2;
        if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) == 1) {
            nid = OBJ_sn2nid(group);
            if (nid == NID_undef)
                nid = OBJ_ln2nid(group);
            if (nid == NID_undef)
                nid = EC_curve_nist2nid(group);
        }
        sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        break;
    }
    case EVP_PKEY_X25519:
    case EVP_PKEY_X448:
        kind = 2;
        sn = OBJ_nid2sn(id);
        break;
    default:
        break;
    }
    if (sn != NULL && name_len > 0) {
        strncpy(name, sn, name_len - 1);
        name[name_len - 1] = '\0';
    }
    EVP_PKEY_free(key);
    ERR_clear_error();
    return kind;
}
