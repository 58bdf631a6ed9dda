/* Keys and certificates made by the binding itself (tls._pki): the throwaway
 * PKI of `python -m tls server` / `demo`, and test fixtures.
 *
 * Living in tls._openssl, these work wherever the binding works, including
 * the binary wheels that link OpenSSL statically with its symbols hidden.
 *
 * Conventions: every argument is checked (NULL, ranges, the subjectAltName
 * syntax) and every OpenSSL return value too; on failure a function frees
 * what it made, returns NULL / 0 and leaves the reason in OpenSSL's error
 * queue.  Argument errors are pushed there as well, with the offending value
 * as the error's data (ERR_peek_last_error_data).  Nothing here ever prompts
 * for a passphrase.  The caller keeps ownership of what it passes in.
 */
#include <stdint.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#define TLS_PKI_KEY_EC_P256 1
#define TLS_PKI_KEY_RSA_2048 2
#define TLS_PKI_KEY_ED25519 3

#define TLS_PKI_MAX_DAYS 36500 /* a hundred years */

/* A new private key: EC P-256, RSA-2048 or Ed25519. */
EVP_PKEY *tls_pki_new_key(int kind)
{
    switch (kind) {
    case TLS_PKI_KEY_EC_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case TLS_PKI_KEY_RSA_2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case TLS_PKI_KEY_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    default:
        ERR_raise_data(ERR_LIB_EVP, ERR_R_PASSED_INVALID_ARGUMENT, "key kind %d", kind);
        return NULL;
    }
}

/* -- subjectAltName ------------------------------------------------------ */

/* A DNS name, email address or URI: printable ASCII, no space (IA5String). */
static int tls__pki_ia5_ok(const char *value)
{
    const unsigned char *p;
    for (p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p <= ' ' || *p > '~')
            return 0;
    }
    return 1;
}

static int tls__pki_san_type(const char *type)
{
    if (strcmp(type, "DNS") == 0)
        return GEN_DNS;
    if (strcmp(type, "IP") == 0)
        return GEN_IPADD;
    if (strcmp(type, "email") == 0)
        return GEN_EMAIL;
    if (strcmp(type, "URI") == 0)
        return GEN_URI;
    return -1;
}

static char *tls__pki_trim(char *text)
{
    char *end;
    while (*text == ' ' || *text == '\t')
        text++;
    end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return text;
}

/* "DNS:localhost,IP:127.0.0.1,email:a@b.example,URI:https://x.example/": the
 * subset of OpenSSL's configuration syntax that needs no configuration
 * database (no dirName, otherName, RID, "@section" or "critical"). */
static GENERAL_NAMES *tls__pki_parse_sans(const char *list)
{
    GENERAL_NAMES *names = NULL;
    char *copy = NULL, *entry, *next;

    copy = OPENSSL_strdup(list);
    if (copy == NULL)
        goto err;
    names = sk_GENERAL_NAME_new_null();
    if (names == NULL)
        goto err;
    for (entry = copy; entry != NULL; entry = next) {
        GENERAL_NAME *name;
        char *colon, *value;
        int type;

        next = strchr(entry, ',');
        if (next != NULL)
            *next++ = '\0';
        entry = tls__pki_trim(entry);
        colon = strchr(entry, ':');
        if (colon == NULL || colon[1] == '\0') {
            ERR_raise_data(ERR_LIB_X509V3, X509V3_R_MISSING_VALUE,
                           "subjectAltName entry \"%s\"", entry);
            goto err;
        }
        *colon = '\0';
        value = colon + 1;
        type = tls__pki_san_type(entry);
        if (type < 0) {
            ERR_raise_data(ERR_LIB_X509V3, X509V3_R_UNSUPPORTED_OPTION,
                           "subjectAltName type \"%s\" (DNS, IP, email or URI)", entry);
            goto err;
        }
        if (type != GEN_IPADD && !tls__pki_ia5_ok(value)) {
            ERR_raise_data(ERR_LIB_X509V3, X509V3_R_INVALID_NAME,
                           "subjectAltName %s:%s", entry, value);
            goto err;
        }
        /* IP: a2i_IPADDRESS parses it (X509V3_R_BAD_IP_ADDRESS, value=...) */
        name = a2i_GENERAL_NAME(NULL, NULL, NULL, type, value, 0);
        if (name == NULL)
            goto err;
        if (sk_GENERAL_NAME_push(names, name) <= 0) {
            GENERAL_NAME_free(name);
            goto err;
        }
    }
    OPENSSL_free(copy);
    return names;

err:
    OPENSSL_free(copy);
    GENERAL_NAMES_free(names);
    return NULL;
}

/* -- certificates -------------------------------------------------------- */

/* One extension in OpenSSL's configuration syntax (fixed strings only). */
static int tls__pki_add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext;
    int ok;

    ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value);
    if (ext == NULL)
        return 0;
    ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static int tls__pki_add_name_entry(X509_NAME *name, int nid, const char *value)
{
    /* UTF-8 in; OpenSSL checks the encoding and the length bounds (CN: 64) */
    return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value,
                                      -1, -1, 0) == 1;
}

/* 63 random bits, never 0: a positive serial number. */
static int tls__pki_random_serial(uint64_t *serial)
{
    unsigned char bytes[8];
    uint64_t value = 0;
    size_t i;

    if (RAND_bytes(bytes, (int)sizeof(bytes)) != 1)
        return 0;
    for (i = 0; i < sizeof(bytes); i++)
        value = (value << 8) | bytes[i];
    *serial = (value & UINT64_C(0x7fffffffffffffff)) | 1;
    return 1;
}

static int tls__pki_is_eddsa(const EVP_PKEY *key)
{
    int id = EVP_PKEY_get_id(key);
    return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
}

/* A signed X.509 v3 certificate for `key`.
 *
 * subject_cn: the subject's CN (UTF-8, required); organization: an O, or NULL.
 * san_list: "DNS:localhost,IP:127.0.0.1" (see tls__pki_parse_sans), or NULL /
 *     "" for no subjectAltName.
 * is_ca: nonzero for a CA: basicConstraints critical CA:TRUE, pathlen:0 and
 *     keyUsage critical keyCertSign, cRLSign; otherwise a leaf: CA:FALSE,
 *     keyUsage critical digitalSignature (+ keyEncipherment for RSA) and
 *     extendedKeyUsage serverAuth, clientAuth.
 * issuer_cert, issuer_key: the signing CA (a CA certificate and its key), or
 *     both NULL for a self-signed certificate.
 * days: 1 to TLS_PKI_MAX_DAYS; valid from an hour ago (a peer whose clock is a
 *     little behind still accepts it) until `days` days from now.
 * serial: the serial number, 0 for 63 random bits.
 *
 * Every certificate gets a subjectKeyIdentifier; an issued one an
 * authorityKeyIdentifier too.  Signed with SHA-256 (EdDSA: no digest).
 */
X509 *tls_pki_new_cert(EVP_PKEY *key, const char *subject_cn, const char *organization,
                       const char *san_list, int is_ca, X509 *issuer_cert, EVP_PKEY *issuer_key,
                       long days, uint64_t serial)
{
    X509 *cert = NULL, *issuer;
    EVP_PKEY *signer;
    X509_NAME *subject;
    GENERAL_NAMES *sans = NULL;
    X509V3_CTX v3;
    const char *key_usage;

    if (key == NULL || subject_cn == NULL) {
        ERR_raise(ERR_LIB_X509V3, ERR_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    if (subject_cn[0] == '\0') {
        ERR_raise_data(ERR_LIB_X509V3, ERR_R_PASSED_INVALID_ARGUMENT, "empty subject CN");
        return NULL;
    }
    if ((issuer_cert == NULL) != (issuer_key == NULL)) {
        ERR_raise_data(ERR_LIB_X509V3, ERR_R_PASSED_INVALID_ARGUMENT,
                       "issuer certificate and issuer key go together");
        return NULL;
    }
    if (days < 1 || days > TLS_PKI_MAX_DAYS) {
        ERR_raise_data(ERR_LIB_X509V3, ERR_R_PASSED_INVALID_ARGUMENT, "days=%ld (1 to %d)",
                       days, TLS_PKI_MAX_DAYS);
        return NULL;
    }
    if (issuer_cert != NULL) {
        if (X509_check_ca(issuer_cert) == 0) {
            ERR_raise_data(ERR_LIB_X509V3, ERR_R_PASSED_INVALID_ARGUMENT,
                           "the issuer certificate is not a CA");
            return NULL;
        }
        if (X509_check_private_key(issuer_cert, issuer_key) != 1)
            return NULL;      /* X509_R_KEY_VALUES_MISMATCH */
    }
    if (serial == 0 && !tls__pki_random_serial(&serial))
        return NULL;
    if (san_list != NULL && san_list[0] != '\0') {
        sans = tls__pki_parse_sans(san_list);
        if (sans == NULL)
            return NULL;
    }

    cert = X509_new();
    if (cert == NULL)
        goto err;
    issuer = issuer_cert != NULL ? issuer_cert : cert;
    signer = issuer_key != NULL ? issuer_key : key;
    if (X509_set_version(cert, 2) != 1          /* v3 */
        || ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) != 1
        || X509_time_adj_ex(X509_getm_notBefore(cert), 0, -3600, NULL) == NULL
        || X509_time_adj_ex(X509_getm_notAfter(cert), (int)days, 0, NULL) == NULL
        || X509_set_pubkey(cert, key) != 1)
        goto err;
    subject = X509_get_subject_name(cert);
    if (subject == NULL
        || !tls__pki_add_name_entry(subject, NID_commonName, subject_cn)
        || (organization != NULL && organization[0] != '\0'
            && !tls__pki_add_name_entry(subject, NID_organizationName, organization))
        || X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1)
        goto err;

    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509V3_set_ctx_nodb(&v3);
    if (is_ca) {
        if (!tls__pki_add_ext(cert, &v3, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
            || !tls__pki_add_ext(cert, &v3, NID_key_usage, "critical,keyCertSign,cRLSign"))
            goto err;
    } else {
        key_usage = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA
            ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
        if (!tls__pki_add_ext(cert, &v3, NID_basic_constraints, "critical,CA:FALSE")
            || !tls__pki_add_ext(cert, &v3, NID_key_usage, key_usage)
            || !tls__pki_add_ext(cert, &v3, NID_ext_key_usage, "serverAuth,clientAuth"))
            goto err;
    }
    if (!tls__pki_add_ext(cert, &v3, NID_subject_key_identifier, "hash"))
        goto err;
    if (issuer_cert != NULL) {
        /* the issuer's key identifier, else its name and serial */
        const char *akid = X509_get_ext_by_NID(issuer_cert, NID_subject_key_identifier, -1) >= 0
            ? "keyid:always" : "issuer:always";
        if (!tls__pki_add_ext(cert, &v3, NID_authority_key_identifier, akid))
            goto err;
    }
    if (sans != NULL && X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT) != 1)
        goto err;
    if (X509_sign(cert, signer, tls__pki_is_eddsa(signer) ? NULL : EVP_sha256()) <= 0)
        goto err;
    GENERAL_NAMES_free(sans);
    return cert;

err:
    GENERAL_NAMES_free(sans);
    X509_free(cert);
    return NULL;
}

/* -- output -------------------------------------------------------------- */

/* The key as PKCS#8 PEM into `out`; encrypted (AES-256-CBC, PBKDF2) with the
 * passphrase when it is not NULL.  1 on success, 0 on failure. */
int tls_pki_write_key_pem(BIO *out, EVP_PKEY *key, const char *passphrase, int passphrase_len)
{
    if (out == NULL || key == NULL) {
        ERR_raise(ERR_LIB_PEM, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (passphrase == NULL)
        return PEM_write_bio_PKCS8PrivateKey(out, key, NULL, NULL, 0, NULL, NULL) > 0;
    if (passphrase_len < 0) {
        ERR_raise_data(ERR_LIB_PEM, ERR_R_PASSED_INVALID_ARGUMENT, "passphrase length %d",
                       passphrase_len);
        return 0;
    }
    /* a passphrase given (not NULL) keeps OpenSSL from asking the terminal */
    return PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), passphrase,
                                         passphrase_len, NULL, NULL) > 0;
}

/* A PKCS#12 (DER) of the key, its certificate and `chain_len` more
 * certificates (the CA) into `out`.  Both bags are encrypted with
 * AES-256-CBC (what OpenSSL 3 reads without the legacy provider), the MAC is
 * OpenSSL's default; a NULL passphrase means the empty one, which a reader
 * accepts without a passphrase.  1 on success, 0 on failure. */
int tls_pki_write_pkcs12(BIO *out, EVP_PKEY *key, X509 *cert, X509 **chain, int chain_len,
                         const char *passphrase, const char *friendly_name)
{
    STACK_OF(X509) *extra = NULL;
    PKCS12 *p12 = NULL;
    int i, ok = 0;

    if (out == NULL || key == NULL || cert == NULL || (chain_len > 0 && chain == NULL)) {
        ERR_raise(ERR_LIB_PKCS12, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (chain_len < 0) {
        ERR_raise_data(ERR_LIB_PKCS12, ERR_R_PASSED_INVALID_ARGUMENT, "chain length %d", chain_len);
        return 0;
    }
    if (chain_len > 0) {
        extra = sk_X509_new_null();
        if (extra == NULL)
            goto done;
        for (i = 0; i < chain_len; i++) {
            if (chain[i] == NULL) {
                ERR_raise_data(ERR_LIB_PKCS12, ERR_R_PASSED_NULL_PARAMETER, "chain[%d]", i);
                goto done;
            }
            if (sk_X509_push(extra, chain[i]) <= 0)
                goto done;
        }
    }
    /* checks that the key belongs to the certificate (X509_R_KEY_VALUES_MISMATCH) */
    p12 = PKCS12_create(passphrase != NULL ? passphrase : "", friendly_name, key, cert, extra,
                        NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0);
    if (p12 == NULL)
        goto done;
    ok = i2d_PKCS12_bio(out, p12) == 1;

done:
    PKCS12_free(p12);
    sk_X509_free(extra);     /* the stack only: the certificates stay the caller's */
    return ok;
}
