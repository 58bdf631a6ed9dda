"""Port of test/parallel/test-tls-client-auth.js: client certificates with chains through
an intermediate CA, given whole, split into ``cert`` + ``ca`` (lists, concatenated
strings, lists of concatenated strings), missing, unverifiable; CA PEMs labelled
'TRUSTED CERTIFICATE' and 'X509 CERTIFICATE'.

Node's ec10 (an ECDSA leaf under a sub-CA of ca5) and agent10 (RSA, under a sub-CA of ca2,
CN agent10.example.com) are made here with trustme."""
import re

import pytest
import trustme
from trustme import KeyType

from support.node_style import tls_connect


def _identity(key_type):
    root = trustme.CA(key_type=key_type)
    sub = root.create_child_ca(key_type=key_type)
    leaf = sub.issue_cert("agent10.example.com", common_name="agent10.example.com", key_type=key_type)
    cert = b"".join(blob.bytes() for blob in leaf.cert_chain_pems).decode()
    single, subca = re.match(r"([\s\S]*?END CERTIFICATE-----\r?\n)(-----BEGIN[\s\S]*)", cert).groups()
    return {"key": leaf.private_key_pem.bytes().decode(), "cert": cert, "ca": root.cert_pem.bytes().decode(),
            "single": single, "subca": subca}


CLIENT = _identity(KeyType.ECDSA)   # ec10
SERVER = _identity(KeyType.RSA)     # agent10


def _check_server_identity(hostname, cert):
    assert hostname == "localhost"
    assert cert["subject"]["CN"] == "agent10.example.com"


c, s = CLIENT, SERVER
OK = ("ok",)
CASES = [
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"]},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True}, OK),
    ({"ca": s["ca"]}, {"key": s["key"], "cert": s["cert"], "ca": c["ca"]}, OK),
    ({"maxVersion": "TLSv1.2", "ca": s["ca"]}, {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True},
     ("both", "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")),
    ({"ca": s["ca"]}, {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True}, ("tls13",)),
    ({"key": c["key"], "cert": c["single"], "ca": [s["ca"], s["subca"]]},
     {"key": s["key"], "cert": s["single"], "ca": [c["ca"], c["subca"]], "requestCert": True}, OK),
    ({"key": c["key"], "cert": c["single"], "ca": s["ca"] + "\n" + s["subca"]},
     {"key": s["key"], "cert": s["single"], "ca": c["ca"] + "\n" + c["subca"], "requestCert": True}, OK),
    ({"key": c["key"], "cert": c["single"], "ca": [s["ca"] + "\n" + s["subca"]]},
     {"key": s["key"], "cert": s["single"], "ca": [c["ca"] + "\n" + c["subca"]], "requestCert": True}, OK),
    ({"ca": s["ca"]}, {"key": s["key"], "cert": s["single"]}, ("err", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")),
    ({"key": c["key"], "cert": c["single"], "ca": s["ca"]},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True}, ("err", "ECONNRESET")),
    ({}, {"key": s["key"], "cert": s["cert"]}, ("err", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")),
    ({}, {"key": s["key"], "cert": s["cert"] + "\n" + s["ca"]}, ("err", "SELF_SIGNED_CERT_IN_CHAIN")),
    ({"ca": s["ca"]}, {"key": s["key"], "cert": s["cert"] + "\n" + s["ca"]}, OK),
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"]},
     {"key": s["key"], "cert": s["cert"], "requestCert": True}, ("err", "ECONNRESET")),
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"].replace("CERTIFICATE", "TRUSTED CERTIFICATE")},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True}, OK),
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"]},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"].replace("CERTIFICATE", "TRUSTED CERTIFICATE"),
      "requestCert": True}, OK),
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"].replace("CERTIFICATE", "X509 CERTIFICATE")},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"], "requestCert": True}, OK),
    ({"key": c["key"], "cert": c["cert"], "ca": s["ca"]},
     {"key": s["key"], "cert": s["cert"], "ca": c["ca"].replace("CERTIFICATE", "X509 CERTIFICATE"),
      "requestCert": True}, OK),
]


@pytest.mark.parametrize("client,server,expect", CASES, ids=[str(i) for i in range(len(CASES))])
def test_client_auth(client, server, expect, calls, node_run):
    def connected(err, pair, cleanup):
        kind = expect[0]
        if kind == "ok":
            assert err is None
            cleanup()
        elif kind == "err":
            assert err is not None and err.code == expect[1], err
            cleanup()
        elif kind == "both":
            assert pair["server"]["err"].code == expect[1]
            assert pair["client"]["err"].code == expect[2]
            cleanup()
        else:   # TLS 1.3: the client learns of the missing certificate after its handshake
            assert pair["server"]["err"].code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"

            def on_error(err):
                assert err.code == "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
                cleanup()

            pair["client"]["conn"].once("error", calls.must_call(on_error))

    def main():
        tls_connect(calls, {"client": {**client, "checkServerIdentity": _check_server_identity}, "server": server},
                    connected)

    node_run(main)
