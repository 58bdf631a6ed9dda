"""Per-area cffi declarations for tls._openssl; see src/_tls_build.py."""
from . import bio, crypto, err, evp, ocsp, pem_pkcs12, ssl, x509, helpers, callbacks

AREAS = [crypto, err, bio, evp, x509, pem_pkcs12, ocsp, ssl, helpers, callbacks]
from . import x509_info; AREAS.append(x509_info)  # noqa: E402
from . import context_extra; AREAS.append(context_extra)  # noqa: E402
from . import ocsp_kx_reneg; AREAS.append(ocsp_kx_reneg)  # noqa: E402
from . import extras; AREAS.append(extras)  # noqa: E402
from . import sessions; AREAS.append(sessions)  # noqa: E402
from . import negotiation; AREAS.append(negotiation)  # noqa: E402
from . import x509_certificate; AREAS.append(x509_certificate)  # noqa: E402
