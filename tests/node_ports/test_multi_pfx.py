"""Port of test/parallel/test-tls-multi-pfx.js: ``pfx`` as a list (one {buf, passphrase},
one bare PFX) gives an RSA and an ECDSA identity; each client's cipher picks one."""
import tls

from support.openssl import openssl


def _pfx(tmp_path, name, identity, *passout):
    (tmp_path / (name + ".key")).write_bytes(identity["key"])
    (tmp_path / (name + ".crt")).write_bytes(identity["cert"])
    return openssl("pkcs12", "-export", "-inkey", str(tmp_path / (name + ".key")),
                   "-in", str(tmp_path / (name + ".crt")), "-passout", "pass:" + (passout[0] if passout else ""))


def test_rsa_and_ecdsa_pfx(agent1, ec_agent, calls, node_run, tmp_path):
    options = {"pfx": [{"buf": _pfx(tmp_path, "agent1", agent1, "sample"), "passphrase": "sample"},
                       _pfx(tmp_path, "ec", ec_agent)]}
    ciphers = []

    def main():
        server = tls.createServer(options, lambda conn: conn.end("ok"))

        def listening():
            ecdsa = None

            def on_ecdsa():
                ciphers.append(ecdsa.getCipher())
                rsa = None

                def on_rsa():
                    ciphers.append(rsa.getCipher())
                    ecdsa.end()
                    rsa.end()
                    server.close()

                rsa = tls.connect(server.address()["port"], {"ciphers": "ECDHE-RSA-AES256-GCM-SHA384",
                                                             "maxVersion": "TLSv1.2", "rejectUnauthorized": False},
                                  calls.must_call(on_rsa))
                rsa.resume()

            ecdsa = tls.connect(server.address()["port"], {"ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384",
                                                           "maxVersion": "TLSv1.2", "rejectUnauthorized": False},
                                calls.must_call(on_ecdsa))
            ecdsa.resume()   # "ok" is not read in Node either (see support.node_style)

        server.listen(0, listening)

    node_run(main)
    assert ciphers == [
        {"name": "ECDHE-ECDSA-AES256-GCM-SHA384", "standardName": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
         "version": "TLSv1.2"},
        {"name": "ECDHE-RSA-AES256-GCM-SHA384", "standardName": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
         "version": "TLSv1.2"}]
