INCLUDES = """
#include <openssl/bio.h>
"""
TYPES = """
typedef ... BIO;
typedef ... BIO_METHOD;
"""
FUNCTIONS = """
BIO *BIO_new(const BIO_METHOD *);
const BIO_METHOD *BIO_s_mem(void);
BIO *BIO_new_mem_buf(const void *, int);
int BIO_free(BIO *);
void BIO_free_all(BIO *);
int BIO_read(BIO *, void *, int);
int BIO_write(BIO *, const void *, int);
size_t BIO_ctrl_pending(BIO *);
long BIO_get_mem_data(BIO *, char **);
long BIO_set_mem_eof_return(BIO *, int);
int BIO_up_ref(BIO *);
"""
CUSTOMIZATIONS = ""
