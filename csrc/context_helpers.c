/* Helpers for tls._secure_context (Node's src/crypto/crypto_context.cc). */
#include <openssl/x509_vfy.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

int tls_engine_supported(void)
{
#ifndef OPENSSL_NO_ENGINE
    return 1;
#else
    return 0;
#endif
}

/* Node's LoadEngineById: a built-in engine by id, else the dynamic engine
 * loading the shared object named by id.  NULL with the error queue filled. */
ENGINE *tls_engine_by_id(const char *id)
{
#ifndef OPENSSL_NO_ENGINE
    ENGINE *engine = ENGINE_by_id(id);
    if (engine == NULL) {
        engine = ENGINE_by_id("dynamic");
        if (engine != NULL) {
            if (!ENGINE_ctrl_cmd_string(engine, "SO_PATH", id, 0) ||
                !ENGINE_ctrl_cmd_string(engine, "LOAD", NULL, 0)) {
                ENGINE_free(engine);
                engine = NULL;
            }
        }
    }
    return engine;
#else
    (void)id;
    return NULL;
#endif
}

int tls_engine_init(ENGINE *engine)
{
#ifndef OPENSSL_NO_ENGINE
    return ENGINE_init(engine);
#else
    (void)engine;
    return 0;
#endif
}

/* Drop our reference; finish too when tls_engine_init() succeeded on it. */
void tls_engine_release(ENGINE *engine, int finish)
{
#ifndef OPENSSL_NO_ENGINE
    if (engine == NULL)
        return;
    if (finish)
        ENGINE_finish(engine);
    ENGINE_free(engine);
#else
    (void)engine;
    (void)finish;
#endif
}

EVP_PKEY *tls_engine_load_private_key(ENGINE *engine, const char *key_id)
{
#ifndef OPENSSL_NO_ENGINE
    return ENGINE_load_private_key(engine, key_id, NULL, NULL);
#else
    (void)engine;
    (void)key_id;
    return NULL;
#endif
}

int tls_ctx_set_client_cert_engine(SSL_CTX *ctx, ENGINE *engine)
{
#ifndef OPENSSL_NO_ENGINE
    return SSL_CTX_set_client_cert_engine(ctx, engine);
#else
    (void)ctx;
    (void)engine;
    return 0;
#endif
}

/* Node's SSL_CTX_get_issuer: the issuer of cert found in the context's store
 * (a new reference), or NULL. */
X509 *tls_ctx_get_issuer(SSL_CTX *ctx, X509 *cert)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    X509 *issuer = NULL;
    if (store_ctx == NULL)
        return NULL;
    if (X509_STORE_CTX_init(store_ctx, store, NULL, NULL) != 1 ||
        X509_STORE_CTX_get1_issuer(&issuer, store_ctx, cert) != 1)
        issuer = NULL;
    X509_STORE_CTX_free(store_ctx);
    return issuer;
}
