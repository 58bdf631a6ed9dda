/* Certificate description helpers for tls._x509 (Node 20's X509ToObject).
 *
 * The pieces of Node's src/crypto/crypto_common.cc that are fiddly to do
 * through cffi: the "subjectaltname" / "infoAccess" strings (with Node's
 * JSON-style quoting of values that are not "safe"), the RSA / EC public key
 * fields, the extended key usage OIDs and the serial number.
 *
 * Text results are written into a caller-supplied memory BIO.  Functions that
 * describe an optional field return -1 when the field is absent (Node leaves
 * the property undefined), 0 when it could not be decoded (Node sets null)
 * and 1 on success.
 */
#include <inttypes.h>
#include <openssl/x509v3.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/objects.h>

/* X509_NAME_print_ex flags Node uses for a DirName inside a SAN. */
#define TLS_XN_FLAGS_RFC2253_WITHIN_UTF8_JSON \
    (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~ASN1_STRFLGS_ESC_CTRL)

/* A value is "safe" (printed verbatim) unless it contains a quote, a
 * backslash, a comma, an apostrophe or a control character (for Latin-1
 * values: anything outside printable ASCII). */
static int tls__altname_is_safe(const char *name, size_t length, int utf8)
{
    size_t i;
    for (i = 0; i < length; i++) {
        char c = name[i];
        switch (c) {
        case '"':
        case '\\':
        case ',':
        case '\'':
            return 0;
        default:
            if (utf8) {
                if ((unsigned char)c < ' ' || c == '\x7f')
                    return 0;
            } else {
                if (c < ' ' || c > '~')
                    return 0;
            }
        }
    }
    return 1;
}

static void tls__print_altname(BIO *out, const char *name, size_t length,
                               int utf8, const char *safe_prefix)
{
    static const char hex[] = "0123456789abcdef";
    size_t j;

    if (tls__altname_is_safe(name, length, utf8)) {
        if (safe_prefix != NULL)
            BIO_printf(out, "%s:", safe_prefix);
        BIO_write(out, name, (int)length);
        return;
    }
    /* JSON string literal; commas and non-printables become \u00XX. */
    BIO_write(out, "\"", 1);
    if (safe_prefix != NULL)
        BIO_printf(out, "%s:", safe_prefix);
    for (j = 0; j < length; j++) {
        char c = name[j];
        if (c == '\\') {
            BIO_write(out, "\\\\", 2);
        } else if (c == '"') {
            BIO_write(out, "\\\"", 2);
        } else if ((c >= ' ' && c != ',' && c <= '~') || (utf8 && (c & 0x80))) {
            BIO_write(out, &c, 1);
        } else {
            char u[6];
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[(c & 0xf0) >> 4];
            u[5] = hex[c & 0x0f];
            BIO_write(out, u, (int)sizeof(u));
        }
    }
    BIO_write(out, "\"", 1);
}

static void tls__print_latin1_altname(BIO *out, const ASN1_IA5STRING *name,
                                      const char *safe_prefix)
{
    tls__print_altname(out, (const char *)name->data, (size_t)name->length, 0,
                       safe_prefix);
}

static void tls__print_utf8_altname(BIO *out, const ASN1_UTF8STRING *name,
                                    const char *safe_prefix)
{
    tls__print_altname(out, (const char *)name->data, (size_t)name->length, 1,
                       safe_prefix);
}

/* Node's PrintGeneralName: i2v_GENERAL_NAME made unambiguous. */
static int tls__print_general_name(BIO *out, const GENERAL_NAME *gen)
{
    if (gen->type == GEN_DNS) {
        BIO_write(out, "DNS:", 4);
        tls__print_latin1_altname(out, gen->d.dNSName, NULL);
    } else if (gen->type == GEN_EMAIL) {
        BIO_write(out, "email:", 6);
        tls__print_latin1_altname(out, gen->d.rfc822Name, NULL);
    } else if (gen->type == GEN_URI) {
        BIO_write(out, "URI:", 4);
        tls__print_latin1_altname(out, gen->d.uniformResourceIdentifier, NULL);
    } else if (gen->type == GEN_DIRNAME) {
        BIO *tmp;
        char *oline = NULL;
        long n_bytes;
        BIO_printf(out, "DirName:");
        tmp = BIO_new(BIO_s_mem());
        if (tmp == NULL)
            return 0;
        if (X509_NAME_print_ex(tmp, gen->d.dirn, 0,
                               TLS_XN_FLAGS_RFC2253_WITHIN_UTF8_JSON) < 0) {
            BIO_free(tmp);
            return 0;
        }
        n_bytes = BIO_get_mem_data(tmp, &oline);
        if (n_bytes < 0)
            n_bytes = 0;
        tls__print_altname(out, oline != NULL ? oline : "", (size_t)n_bytes, 1, NULL);
        BIO_free(tmp);
    } else if (gen->type == GEN_IPADD) {
        const ASN1_OCTET_STRING *ip = gen->d.ip;
        const unsigned char *b = ip->data;
        BIO_printf(out, "IP Address:");
        if (ip->length == 4) {
            BIO_printf(out, "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
        } else if (ip->length == 16) {
            unsigned int j;
            for (j = 0; j < 8; j++) {
                unsigned int pair = ((unsigned int)b[2 * j] << 8) | b[2 * j + 1];
                BIO_printf(out, (j == 0) ? "%X" : ":%X", pair);
            }
        } else {
            BIO_printf(out, "<invalid length=%d>", ip->length);
        }
    } else if (gen->type == GEN_RID) {
        char oline[256];
        OBJ_obj2txt(oline, sizeof(oline), gen->d.rid, 1);
        BIO_printf(out, "Registered ID:%s", oline);
    } else if (gen->type == GEN_OTHERNAME) {
        int unicode = 1;
        const char *prefix = NULL;
        int val_type;
        switch (OBJ_obj2nid(gen->d.otherName->type_id)) {
        case NID_id_on_SmtpUTF8Mailbox:
            prefix = "SmtpUTF8Mailbox";
            break;
        case NID_XmppAddr:
            prefix = "XmppAddr";
            break;
        case NID_SRVName:
            prefix = "SRVName";
            unicode = 0;
            break;
        case NID_ms_upn:
            prefix = "UPN";
            break;
        case NID_NAIRealm:
            prefix = "NAIRealm";
            break;
        }
        val_type = gen->d.otherName->value->type;
        if (prefix == NULL || (unicode && val_type != V_ASN1_UTF8STRING) ||
            (!unicode && val_type != V_ASN1_IA5STRING)) {
            BIO_printf(out, "othername:<unsupported>");
        } else {
            BIO_printf(out, "othername:");
            if (unicode)
                tls__print_utf8_altname(out, gen->d.otherName->value->value.utf8string, prefix);
            else
                tls__print_latin1_altname(out, gen->d.otherName->value->value.ia5string, prefix);
        }
    } else if (gen->type == GEN_X400) {
        BIO_printf(out, "X400Name:<unsupported>");
    } else if (gen->type == GEN_EDIPARTY) {
        BIO_printf(out, "EdiPartyName:<unsupported>");
    } else {
        return 0;
    }
    return 1;
}

int tls_x509_subjectaltname(X509 *cert, BIO *out)
{
    int index, i, ok = 1;
    X509_EXTENSION *ext;
    GENERAL_NAMES *names;

    index = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
    if (index < 0)
        return -1;
    ext = X509_get_ext(cert, index);
    if (ext == NULL)
        return 0;
    names = (GENERAL_NAMES *)X509V3_EXT_d2i(ext);
    if (names == NULL)
        return 0;
    for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        if (i != 0)
            BIO_write(out, ", ", 2);
        if (!(ok = tls__print_general_name(out, sk_GENERAL_NAME_value(names, i))))
            break;
    }
    sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
    return ok ? 1 : 0;
}

int tls_x509_infoaccess(X509 *cert, BIO *out)
{
    int index, i, ok = 1;
    X509_EXTENSION *ext;
    AUTHORITY_INFO_ACCESS *descs;

    index = X509_get_ext_by_NID(cert, NID_info_access, -1);
    if (index < 0)
        return -1;
    ext = X509_get_ext(cert, index);
    if (ext == NULL)
        return 0;
    descs = (AUTHORITY_INFO_ACCESS *)X509V3_EXT_d2i(ext);
    if (descs == NULL)
        return 0;
    for (i = 0; i < sk_ACCESS_DESCRIPTION_num(descs); i++) {
        ACCESS_DESCRIPTION *desc = sk_ACCESS_DESCRIPTION_value(descs, i);
        char objtmp[80];
        if (i != 0)
            BIO_write(out, "\n", 1);
        i2t_ASN1_OBJECT(objtmp, sizeof(objtmp), desc->method);
        BIO_printf(out, "%s - ", objtmp);
        if (!(ok = tls__print_general_name(out, desc->location)))
            break;
    }
    sk_ACCESS_DESCRIPTION_pop_free(descs, ACCESS_DESCRIPTION_free);
    return ok ? 1 : 0;
}

/* The extended key usage OIDs (numeric), one per line. */
int tls_x509_ext_key_usage(X509 *cert, BIO *out)
{
    STACK_OF(ASN1_OBJECT) *eku;
    int i, count;
    char buf[256];

    eku = (STACK_OF(ASN1_OBJECT) *)X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL)
        return -1;
    count = sk_ASN1_OBJECT_num(eku);
    for (i = 0; i < count; i++) {
        if (OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku, i), 1) >= 0) {
            BIO_puts(out, buf);
            BIO_write(out, "\n", 1);
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return count;
}

/* BN_bn2hex of the serial number (free with OPENSSL_free), NULL if none. */
char *tls_x509_serial(X509 *cert)
{
    ASN1_INTEGER *serial = X509_get_serialNumber(cert);
    BIGNUM *bn;
    char *hex;
    if (serial == NULL)
        return NULL;
    bn = ASN1_INTEGER_to_BN(serial, NULL);
    if (bn == NULL)
        return NULL;
    hex = BN_bn2hex(bn);
    BN_free(bn);
    return hex;
}

/* 1 for an RSA key, 2 for an EC key, 0 otherwise (the cases Node describes). */
int tls_x509_key_kind(X509 *cert)
{
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    if (pkey == NULL)
        return 0;
    switch (EVP_PKEY_id(pkey)) {
    case EVP_PKEY_RSA:
        return EVP_PKEY_get0_RSA(pkey) != NULL ? 1 : 0;
    case EVP_PKEY_EC:
        return EVP_PKEY_get0_EC_KEY(pkey) != NULL ? 2 : 0;
    }
    return 0;
}

/* RSA: modulus (BN_print), exponent ("0x%x" of the low word), bits and the
 * SubjectPublicKeyInfo DER (i2d_RSA_PUBKEY). */
int tls_x509_rsa_info(X509 *cert, BIO *modulus, BIO *exponent, int *bits, BIO *pubkey)
{
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    const RSA *rsa;
    const BIGNUM *n = NULL, *e = NULL;
    unsigned char *der = NULL;
    int len;

    if (pkey == NULL || EVP_PKEY_id(pkey) != EVP_PKEY_RSA)
        return 0;
    rsa = EVP_PKEY_get0_RSA(pkey);
    if (rsa == NULL)
        return 0;
    RSA_get0_key(rsa, &n, &e, NULL);
    BN_print(modulus, n);
    *bits = BN_num_bits(n);
    BIO_printf(exponent, "0x%" PRIx64, (uint64_t)BN_get_word(e));
    len = i2d_RSA_PUBKEY((RSA *)rsa, &der);
    if (len < 0)
        return 0;
    BIO_write(pubkey, der, len);
    OPENSSL_free(der);
    return 1;
}

/* EC: group order bits (-1: undefined), the public point in the key's own
 * conversion form (*has_pub 0: undefined) and the curve NID (0: unnamed). */
int tls_x509_ec_info(X509 *cert, int *bits, BIO *pub, int *has_pub, int *nid)
{
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    const EC_KEY *ec;
    const EC_GROUP *group;
    const EC_POINT *point;

    *bits = -1;
    *has_pub = 0;
    *nid = 0;
    if (pkey == NULL || EVP_PKEY_id(pkey) != EVP_PKEY_EC)
        return 0;
    ec = EVP_PKEY_get0_EC_KEY(pkey);
    if (ec == NULL)
        return 0;
    group = EC_KEY_get0_group(ec);
    if (group != NULL) {
        int b = EC_GROUP_order_bits(group);
        if (b > 0)
            *bits = b;
    }
    point = EC_KEY_get0_public_key(ec);
    if (point != NULL) {
        point_conversion_form_t form = EC_KEY_get_conv_form(ec);
        size_t len = EC_POINT_point2oct(group, point, form, NULL, 0, NULL);
        if (len == 0)
            return -1;
        {
            unsigned char *buf = OPENSSL_malloc(len);
            if (buf == NULL)
                return -1;
            len = EC_POINT_point2oct(group, point, form, buf, len, NULL);
            if (len == 0) {
                OPENSSL_free(buf);
                return -1;
            }
            BIO_write(pub, buf, (int)len);
            OPENSSL_free(buf);
        }
        *has_pub = 1;
    }
    if (group != NULL)
        *nid = EC_GROUP_get_curve_name(group);
    return 1;
}
