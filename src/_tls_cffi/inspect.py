"""What ``python -m tls client`` shows beyond Node's API (src/tls/_faces/cli/inspect.py).

The chain the peer sent next to the chain verification built, the peer's
signing digest and signature type, the CA names a server accepts for client
certificates, and per certificate its signature algorithm and key (type,
size, curve).  Plain OpenSSL 3 calls; no C helper.

cffi refuses a function or constant declared twice, and other areas (the
public low-level surface) may well declare some of these too.  So this area
declares only what no other area does: ``TYPES`` and ``FUNCTIONS`` are
computed when the build reads them (PEP 562 ``__getattr__``), after every area
is in ``AREAS``, and leave out each name another area declares already.
"""
import re
from typing import List

from . import AREAS

INCLUDES = """
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>
"""
_TYPES = [
    "static const unsigned long XN_FLAG_RFC2253;",
]
_FUNCTIONS = [
    "Cryptography_STACK_OF_X509 *SSL_get0_verified_chain(const SSL *);",
    "int SSL_get_peer_signature_nid(SSL *, int *);",
    "int SSL_get_peer_signature_type_nid(const SSL *, int *);",
    "X509_NAME *sk_X509_NAME_value(Cryptography_STACK_OF_X509_NAME *, int);",
    "int X509_NAME_print_ex(BIO *, const X509_NAME *, int, unsigned long);",
    "int X509_get_signature_nid(const X509 *);",
    "const char *EVP_PKEY_get0_type_name(const EVP_PKEY *);",
    "int EVP_PKEY_get_group_name(const EVP_PKEY *, char *, size_t, size_t *);",
]
CUSTOMIZATIONS = ""

_FUNCTION_NAME = re.compile(r"(\w+)\s*\(")
_CONSTANT_NAME = re.compile(r"(\w+)\s*;\s*$")


def _others() -> str:
    return "\n".join(getattr(area, "TYPES", "") + "\n" + getattr(area, "FUNCTIONS", "")
                     for area in AREAS if getattr(area, "__name__", None) != __name__)


def _missing(declarations: List[str], name_pattern: "re.Pattern[str]", declared: "re.Pattern[str]") -> str:
    elsewhere = _others()
    kept = []
    for line in declarations:
        match = name_pattern.search(line)
        assert match is not None, line
        if not re.search(declared.pattern % re.escape(match.group(1)), elsewhere):
            kept.append(line)
    return "\n" + "\n".join(kept) + "\n"


def __getattr__(name: str) -> str:
    if name == "TYPES":
        return _missing(_TYPES, _CONSTANT_NAME, re.compile(r"\b%s\s*;"))
    if name == "FUNCTIONS":
        return _missing(_FUNCTIONS, _FUNCTION_NAME, re.compile(r"\b%s\s*\("))
    raise AttributeError(name)
