INCLUDES = """
#include <openssl/err.h>
"""
TYPES = """
static const int ERR_LIB_SSL;
static const int ERR_LIB_PEM;
static const int ERR_LIB_X509;
static const int ERR_LIB_EVP;
static const int ERR_LIB_ASN1;
"""
FUNCTIONS = """
unsigned long ERR_get_error(void);
unsigned long ERR_peek_error(void);
unsigned long ERR_peek_last_error(void);
void ERR_clear_error(void);
const char *ERR_lib_error_string(unsigned long);
const char *ERR_reason_error_string(unsigned long);
const char *ERR_func_error_string(unsigned long);
void ERR_error_string_n(unsigned long, char *, size_t);
int ERR_GET_LIB(unsigned long);
int ERR_GET_REASON(unsigned long);
"""
CUSTOMIZATIONS = ""
