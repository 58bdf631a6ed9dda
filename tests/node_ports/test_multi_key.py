"""Port of test/parallel/test-tls-multi-key.js.

One server with an RSA and an ECDSA identity (``key``/``cert`` lists in any
order, or one of them from a ``pfx``): an ECDSA-only client gets the EC
certificate, an RSA-only client the RSA one.
"""
import subprocess

import pytest

import tls

RSA_CN = "agent1"
EC_CN = "agent10.example.com"


def _pfx(key: bytes, cert: bytes, tmp_path, name: str) -> bytes:
    (tmp_path / (name + ".key")).write_bytes(key)
    (tmp_path / (name + ".crt")).write_bytes(cert)
    return subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(tmp_path / (name + ".key")),
                           "-in", str(tmp_path / (name + ".crt")), "-passout", "pass:sample"],
                          check=True, capture_output=True).stdout


def _options(kind, agent1, ec_agent, tmp_path):
    if kind == "key ec,rsa / cert rsa,ec":
        return {"key": [ec_agent["key"], agent1["key"]], "cert": [agent1["cert"], ec_agent["cert"]]}
    if kind == "key rsa,ec / cert ec,rsa":
        return {"key": [agent1["key"], ec_agent["key"]], "cert": [ec_agent["cert"], agent1["cert"]]}
    if kind == "ec key+cert, rsa pfx":
        return {"key": [ec_agent["key"]], "cert": [ec_agent["cert"]],
                "pfx": _pfx(agent1["key"], agent1["cert"], tmp_path, "rsa"), "passphrase": "sample"}
    if kind == "rsa key+cert, ec pfx":
        return {"key": [agent1["key"]], "cert": [agent1["cert"]],
                "pfx": _pfx(ec_agent["key"], ec_agent["cert"], tmp_path, "ec"), "passphrase": "sample"}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["key ec,rsa / cert rsa,ec", "key rsa,ec / cert ec,rsa",
                                  "ec key+cert, rsa pfx", "rsa key+cert, ec pfx"])
def test_multi_key(kind, agent1, ec_agent, tmp_path, calls, node_run):
    options = _options(kind, agent1, ec_agent, tmp_path)
    trust = [ec_agent["ca"], agent1["ca"]]

    def main():
        server = tls.createServer(options, lambda conn: conn.end("ok"))

        def check_cn(expected):
            def check(hostname, cert):
                assert cert["subject"]["CN"] == expected
                return None
            return calls.must_call(check)

        def connect_with_ecdsa():
            ecdsa = None

            def on_secure():
                assert ecdsa.authorized is True
                assert ecdsa.getCipher() == {"name": "ECDHE-ECDSA-AES256-GCM-SHA384",
                                             "standardName": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                             "version": "TLSv1.2"}
                assert ecdsa.getPeerCertificate()["subject"]["CN"] == EC_CN
                assert ecdsa.getPeerCertificate()["asn1Curve"] == "prime256v1"
                ecdsa.end()
                connect_with_rsa()

            ecdsa = tls.connect(server.address()["port"], {
                "ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384", "rejectUnauthorized": True, "ca": trust,
                "checkServerIdentity": check_cn(EC_CN), "maxVersion": "TLSv1.2"}, calls.must_call(on_secure))
            ecdsa.on("error", calls.must_not_call("ecdsa client 'error'"))
            ecdsa.resume()  # drain "ok" (see conftest: unconsumed sockets keep tls.run alive)

        def connect_with_rsa():
            rsa = None

            def on_secure():
                assert rsa.authorized is True
                assert rsa.getCipher() == {"name": "ECDHE-RSA-AES256-GCM-SHA384",
                                           "standardName": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                           "version": "TLSv1.2"}
                assert rsa.getPeerCertificate()["subject"]["CN"] == RSA_CN
                assert rsa.getPeerCertificate()["exponent"] == "0x10001"
                rsa.end()
                server.close()

            rsa = tls.connect(server.address()["port"], {
                "ciphers": "ECDHE-RSA-AES256-GCM-SHA384", "rejectUnauthorized": True, "ca": trust,
                "checkServerIdentity": check_cn(RSA_CN), "maxVersion": "TLSv1.2"}, calls.must_call(on_secure))
            rsa.on("error", calls.must_not_call("rsa client 'error'"))
            rsa.resume()

        server.listen(0, calls.must_call(connect_with_ecdsa))

    node_run(main)


def test_tls13_client_gets_a_certificate_too(agent1, ec_agent, calls, node_run):
    """Without a cipher restriction (TLS 1.3) the handshake picks one of the two."""
    def main():
        server = tls.createServer({"key": [ec_agent["key"], agent1["key"]],
                                   "cert": [agent1["cert"], ec_agent["cert"]]}, lambda conn: conn.end())

        def listening():
            client = None

            def on_secure():
                assert client.authorized is True
                assert client.getPeerCertificate()["subject"]["CN"] in (RSA_CN, EC_CN)
                client.end()
                server.close()

            client = tls.connect(server.address()["port"], {"ca": [ec_agent["ca"], agent1["ca"]],
                                                            "servername": "localhost"}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
