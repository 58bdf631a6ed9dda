INCLUDES = """
#include <openssl/ocsp.h>
"""
TYPES = """
typedef ... OCSP_RESPONSE;
"""
FUNCTIONS = """
OCSP_RESPONSE *d2i_OCSP_RESPONSE(OCSP_RESPONSE **, const unsigned char **, long);
void OCSP_RESPONSE_free(OCSP_RESPONSE *);
"""
CUSTOMIZATIONS = ""
