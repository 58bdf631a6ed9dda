"""Port of test/parallel/test-tls-server-verify.js.

Servers with various requestCert / rejectUnauthorized / ca / crl settings
meet clients presenting a certificate from CA1 (agent1), a self-signed one
(agent2), one from CA2 (agent3), one from CA2 that the CRL revokes (agent4)
and none (nocert).  Each client is rejected, or accepted and told
'_unauthed' or '_authed' by the server.  Node's test drives
``openssl s_client``; here the clients are our own tls.connect (the
authorization is decided by the server, which is what is under test), and
the server-side events are checked too: a rejected certificate -> one
'tlsClientError' ECONNRESET, a missing one -> one
ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE, never the server's 'error'.
"""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import tls
from tls._binding import lib

CASES = [
    {"title": "Do not request certs. Everyone is unauthorized.",
     "requestCert": False, "rejectUnauthorized": False, "renegotiate": False, "CAs": ["ca1"],
     "clients": {"agent1": "unauthed", "agent2": "unauthed", "agent3": "unauthed", "nocert": "unauthed"}},
    {"title": "Allow both authed and unauthed connections with CA1",
     "requestCert": True, "rejectUnauthorized": False, "renegotiate": False, "CAs": ["ca1"],
     "clients": {"agent1": "authed", "agent2": "unauthed", "agent3": "unauthed", "nocert": "unauthed"}},
    {"title": "Do not request certs at connection. Do that later",
     "requestCert": False, "rejectUnauthorized": False, "renegotiate": True, "CAs": ["ca1"],
     "clients": {"agent1": "authed", "agent2": "unauthed", "agent3": "unauthed", "nocert": "unauthed"}},
    {"title": "Allow only authed connections with CA1",
     "requestCert": True, "rejectUnauthorized": True, "renegotiate": False, "CAs": ["ca1"],
     "clients": {"agent1": "authed", "agent2": "rejected", "agent3": "rejected", "nocert": "rejected"}},
    {"title": "Allow only authed connections with CA1 and CA2",
     "requestCert": True, "rejectUnauthorized": True, "renegotiate": False, "CAs": ["ca1", "ca2"],
     "clients": {"agent1": "authed", "agent2": "rejected", "agent3": "authed", "nocert": "rejected"}},
    {"title": "Allow only certs signed by CA2 but not in the CRL",
     "requestCert": True, "rejectUnauthorized": True, "renegotiate": False, "CAs": ["ca2"], "crl": True,
     "clients": {"agent1": "rejected", "agent2": "rejected", "agent3": "authed", "agent4": "rejected",
                 "nocert": "rejected"}},
]


@pytest.fixture(scope="module")
def agents(agent1, self_signed, ec_ca, ec_agent):
    agent4 = ec_ca.issue_cert("localhost", common_name="agent4")
    revoked = x509.load_pem_x509_certificate(agent4.cert_chain_pems[0].bytes())
    ca_cert = x509.load_pem_x509_certificate(ec_ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(ec_ca.private_key_pem.bytes(), None)
    now = datetime.datetime.now(datetime.timezone.utc)
    crl = (x509.CertificateRevocationListBuilder()
           .issuer_name(ca_cert.subject)
           .last_update(now - datetime.timedelta(days=1))
           .next_update(now + datetime.timedelta(days=30))
           .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                    .serial_number(revoked.serial_number)
                                    .revocation_date(now - datetime.timedelta(hours=1)).build())
           .sign(ca_key, hashes.SHA256()))
    return {
        "ca1": agent1["ca"], "ca2": ec_agent["ca"], "ca2-crl": crl.public_bytes(serialization.Encoding.PEM),
        "agent1": {"key": agent1["key"], "cert": agent1["cert"]},
        "agent2": {"key": self_signed["key"], "cert": self_signed["cert"]},
        "agent3": {"key": ec_agent["key"], "cert": ec_agent["cert"]},
        "agent4": {"key": agent4.private_key_pem.bytes(),
                   "cert": b"".join(b.bytes() for b in agent4.cert_chain_pems)},
        "nocert": {},
    }


@pytest.mark.parametrize("case", CASES, ids=[c["title"] for c in CASES])
def test_server_verify(case, agents, self_signed, calls, node_run):
    server_options = {"key": self_signed["key"], "cert": self_signed["cert"],
                      "ca": [agents[name] for name in case["CAs"]],
                      "crl": agents["ca2-crl"] if case.get("crl") else None,
                      "requestCert": case["requestCert"], "rejectUnauthorized": case["rejectUnauthorized"]}
    if case["renegotiate"]:
        # A renegotiation might resume the session and not ask for the
        # certificate; renegotiation exists only up to TLS 1.2.
        # (Node: crypto.constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION)
        server_options["secureOptions"] = lib.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION
        server_options["maxVersion"] = "TLSv1.2"
    results = {}
    client_errors = []
    expected_rejects = sorted("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE" if name == "nocert" else "ECONNRESET"
                              for name, want in case["clients"].items() if want == "rejected")

    def main():
        renegotiated = set()

        def handle_connection(c):
            c.on("error", lambda err: None)  # the clients hang up as soon as they know
            if case["renegotiate"] and c not in renegotiated:
                renegotiated.add(c)
                c.write("\n_renegotiating\n")

                def done(err):
                    assert err is None
                    c.write("\n_renegotiated\n")
                    handle_connection(c)

                assert c.renegotiate({"requestCert": True, "rejectUnauthorized": False},
                                     calls.must_call(done)) is True
                return
            c.write("\n_authed\n" if c.authorized else "\n_unauthed\n")

        server = tls.Server(server_options, handle_connection)
        server.on("error", calls.must_not_call("server 'error'"))
        server.on("tlsClientError", lambda err, sock: client_errors.append(err.code))

        def run_client(name, port, done):
            received = []
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  **agents[name]})

            def on_data(chunk):
                received.append(chunk)
                text = b"".join(received)
                if b"_authed\n" in text or b"_unauthed\n" in text:
                    client.end()

            def on_close(*a):
                text = b"".join(received)
                if b"_unauthed\n" in text:
                    results[name] = "unauthed"
                elif b"_authed\n" in text:
                    results[name] = "authed"
                else:
                    results[name] = "rejected"
                if case["renegotiate"]:
                    assert b"_renegotiated" in text, (name, text)
                done()

            client.on("data", on_data)
            client.on("error", lambda err: None)
            client.on("close", calls.must_call(on_close))

        def listening():
            port = server.address()["port"]
            names = list(case["clients"])
            remaining = [len(names)]

            def one_done():
                remaining[0] -= 1
                if remaining[0] == 0:
                    server.close()

            for name in names:
                run_client(name, port, one_done)

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert results == case["clients"]
    assert sorted(client_errors) == expected_rejects


@pytest.mark.parametrize("name,error,has_cert", [
    ("agent1", None, True),
    ("agent2", "DEPTH_ZERO_SELF_SIGNED_CERT", True),
    ("agent3", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", True),
    ("nocert", "UNABLE_TO_GET_ISSUER_CERT", False),
])
def test_authorization_error_when_not_rejecting(name, error, has_cert, agents, self_signed, calls, node_run):
    """requestCert without rejectUnauthorized: the server socket tells why (checked against Node 20)."""
    def main():
        def on_secure(c):
            assert c.authorized is (error is None)
            assert c.authorizationError == error
            cert = c.getPeerCertificate()
            if has_cert:
                assert cert["subject"]
            else:
                assert cert == {}
            c.end()

        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], "ca": [agents["ca1"]],
                                   "requestCert": True, "rejectUnauthorized": False}, calls.must_call(on_secure))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False, **agents[name]})
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
