"""test/parallel/test-tls-min-max-version.js as a program (Node's cli-min/max-version tests
``require`` it under their flags; their ports run it with ``python -m tls run FLAGS``).

:func:`cases` is Node's list of ``test()`` calls for the defaults the program starts with
(``tls.DEFAULT_MIN_VERSION`` / ``DEFAULT_MAX_VERSION``, as set by the flags) and the OpenSSL it
runs on, with Node's choice of ``ciphers`` per case; tests/node_ports/test_min_max_version.py
checks that for the default defaults it is that port's table.  Run as a program, every case
connects at once (as Node's file does) and the program exits 0 once each passed; it prints
``cases: N``."""
from typing import List, Optional, Tuple

import tls
from tls._binding import lib

from support.node_style import CallTracker, fixture_keys, run_program, tls_connect

Case = Tuple[Optional[str], ...]
U = None


def cases(default_min: str, default_max: str, openssl3: bool = True, openssl31: bool = False) -> List[Case]:
    out: List[Case] = []

    def test(cmin, cmax, cprot, smin, smax, sprot, proto=U, cerr=U, serr=U):
        assert proto or cerr or serr, "test missing any expectations"
        ciphers = U
        if openssl3 and (proto in ("TLSv1", "TLSv1.1", "TLSv1_1_method", "TLSv1_method")
                         or sprot in ("TLSv1_1_method", "TLSv1_method")):
            if serr != "ERR_SSL_UNSUPPORTED_PROTOCOL":
                ciphers = "ALL@SECLEVEL=0"
        if openssl31 and cerr == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION":
            ciphers = "DEFAULT@SECLEVEL=0"
        out.append((cmin, cmax, cprot, smin, smax, sprot, ciphers, proto, cerr, serr))

    # Default protocol is the max version.
    test(U, U, U, U, U, U, default_max)

    # Insecure or invalid protocols cannot be enabled.
    test(U, U, U, U, U, "SSLv2_method", U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, U, U, U, "SSLv3_method", U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "SSLv2_method", U, U, U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "SSLv3_method", U, U, U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "hokey-pokey", U, U, U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, U, U, U, "hokey-pokey", U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, U, U, U, "%s_method", U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")

    # Cannot use secureProtocol and min/max versions simultaneously.
    test(U, U, U, U, "TLSv1.2", "TLS1_2_method", U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test(U, U, U, "TLSv1.2", U, "TLS1_2_method", U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test(U, "TLSv1.2", "TLS1_2_method", U, U, U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test("TLSv1.2", U, "TLS1_2_method", U, U, U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")

    # TLS_method means "any supported protocol".
    test(U, U, "TLSv1_2_method", U, U, "TLS_method", "TLSv1.2")
    test(U, U, "TLSv1_1_method", U, U, "TLS_method", "TLSv1.1")
    test(U, U, "TLSv1_method", U, U, "TLS_method", "TLSv1")
    test(U, U, "TLS_method", U, U, "TLSv1_2_method", "TLSv1.2")
    test(U, U, "TLS_method", U, U, "TLSv1_1_method", "TLSv1.1")
    test(U, U, "TLS_method", U, U, "TLSv1_method", "TLSv1")

    no_protocols_server = "ERR_SSL_NO_PROTOCOLS_AVAILABLE" if openssl3 else "ERR_SSL_INTERNAL_ERROR"
    no_protocols_alert = ("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" if openssl3
                          else "ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR")

    # SSLv23 also means "any supported protocol" greater than the default minimum.
    if default_min == "TLSv1.3":
        test(U, U, "TLSv1_2_method", U, U, "SSLv23_method", U, no_protocols_alert, no_protocols_server)
    else:
        test(U, U, "TLSv1_2_method", U, U, "SSLv23_method", "TLSv1.2")

    if default_min == "TLSv1.3":
        test(U, U, "TLSv1_1_method", U, U, "SSLv23_method", U, no_protocols_alert, no_protocols_server)
        test(U, U, "TLSv1_method", U, U, "SSLv23_method", U, no_protocols_alert, no_protocols_server)
        test(U, U, "SSLv23_method", U, U, "TLSv1_1_method",
             U, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "ERR_SSL_UNEXPECTED_MESSAGE")
        test(U, U, "SSLv23_method", U, U, "TLSv1_method",
             U, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "ERR_SSL_UNEXPECTED_MESSAGE")

    if default_min == "TLSv1.2":
        test(U, U, "TLSv1_1_method", U, U, "SSLv23_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, "TLSv1_method", U, U, "SSLv23_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, "SSLv23_method", U, U, "TLSv1_1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
        test(U, U, "SSLv23_method", U, U, "TLSv1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")

    if default_min == "TLSv1.1":
        test(U, U, "TLSv1_1_method", U, U, "SSLv23_method", "TLSv1.1")
        test(U, U, "TLSv1_method", U, U, "SSLv23_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, "SSLv23_method", U, U, "TLSv1_1_method", "TLSv1.1")
        test(U, U, "SSLv23_method", U, U, "TLSv1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")

    if default_min == "TLSv1":
        test(U, U, "TLSv1_1_method", U, U, "SSLv23_method", "TLSv1.1")
        test(U, U, "TLSv1_method", U, U, "SSLv23_method", "TLSv1")
        test(U, U, "SSLv23_method", U, U, "TLSv1_1_method", "TLSv1.1")
        test(U, U, "SSLv23_method", U, U, "TLSv1_method", "TLSv1")

    # TLSv1 thru TLSv1.2 are only supported with explicit configuration with API or CLI.
    test(U, U, "TLSv1_2_method", U, U, "TLSv1_2_method", "TLSv1.2")
    test(U, U, "TLSv1_1_method", U, U, "TLSv1_1_method", "TLSv1.1")
    test(U, U, "TLSv1_method", U, U, "TLSv1_method", "TLSv1")

    # The default default.
    if default_min == "TLSv1.2":
        test(U, U, "TLSv1_1_method", U, U, U,
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, "TLSv1_method", U, U, U,
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        if default_max == "TLSv1.2":
            test(U, U, U, U, U, "TLSv1_1_method",
                 U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
            test(U, U, U, U, U, "TLSv1_method",
                 U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
        else:
            # TLS1.3 client hellos are are not understood by TLS1.1 or below.
            test(U, U, U, U, U, "TLSv1_1_method",
                 U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
            test(U, U, U, U, U, "TLSv1_method",
                 U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")

    # The default with --tls-v1.1.
    if default_min == "TLSv1.1":
        test(U, U, "TLSv1_1_method", U, U, U, "TLSv1.1")
        test(U, U, "TLSv1_method", U, U, U,
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, U, U, U, "TLSv1_1_method", "TLSv1.1")
        if default_max == "TLSv1.2":
            test(U, U, U, U, U, "TLSv1_method",
                 U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
        else:
            test(U, U, U, U, U, "TLSv1_method",
                 U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_UNSUPPORTED_PROTOCOL")

    # The default with --tls-v1.0.
    if default_min == "TLSv1":
        test(U, U, "TLSv1_1_method", U, U, U, "TLSv1.1")
        test(U, U, "TLSv1_method", U, U, U, "TLSv1")
        test(U, U, U, U, U, "TLSv1_1_method", "TLSv1.1")
        test(U, U, U, U, U, "TLSv1_method", "TLSv1")

    # TLS min/max are respected when set with no secureProtocol.
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_method", "TLSv1")
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_1_method", "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_2_method", "TLSv1.2")
    test("TLSv1", "TLSv1.2", U, U, U, "TLS_method", "TLSv1.2")

    test(U, U, "TLSv1_method", "TLSv1", "TLSv1.2", U, "TLSv1")
    test(U, U, "TLSv1_1_method", "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test(U, U, "TLSv1_2_method", "TLSv1", "TLSv1.2", U, "TLSv1.2")

    test("TLSv1", "TLSv1.1", U, "TLSv1", "TLSv1.3", U, "TLSv1.1")
    test("TLSv1", "TLSv1.1", U, "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1", U, "TLSv1", "TLSv1.1", U, "TLSv1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1", U, "TLSv1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1", U, "TLSv1")
    test("TLSv1.1", "TLSv1.1", U, "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1.1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1.3", U, "TLSv1.2")

    # v-any client can connect to v-specific server
    test("TLSv1", "TLSv1.3", U, "TLSv1.3", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1", "TLSv1.3", U, "TLSv1.2", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1", "TLSv1.3", U, "TLSv1.2", "TLSv1.2", U, "TLSv1.2")
    test("TLSv1", "TLSv1.3", U, "TLSv1.1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1", U, "TLSv1")

    # v-specific client can connect to v-any server
    test("TLSv1.3", "TLSv1.3", U, "TLSv1", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1.2", "TLSv1.2", U, "TLSv1", "TLSv1.3", U, "TLSv1.2")
    test("TLSv1.1", "TLSv1.1", U, "TLSv1", "TLSv1.3", U, "TLSv1.1")
    test("TLSv1", "TLSv1", U, "TLSv1", "TLSv1.3", U, "TLSv1")
    return out


def check(case: Case, err, pair, cleanup) -> None:
    """Node's test() callback: the protocol both ends agreed, or each end's error code."""
    cmin, cmax, cprot, smin, smax, sprot, ciphers, proto, cerr, serr = case
    if not proto:
        if cerr:
            assert pair["client"].get("err"), case
            code = pair["client"]["err"].code
            # aliases: which one is reported depends on the OpenSSL version
            if cerr == "ERR_SSL_UNSUPPORTED_PROTOCOL" and code == "ERR_SSL_VERSION_TOO_LOW":
                cerr = "ERR_SSL_VERSION_TOO_LOW"
            assert code == cerr, (case, code)
        if serr:
            assert pair["server"].get("err"), case
            assert pair["server"]["err"].code == serr, (case, pair["server"]["err"].code)
        cleanup()
        return
    assert err is None, (case, err)
    assert pair["server"].get("err") is None, case
    assert pair["client"].get("err") is None, case
    assert pair["client"]["conn"].getProtocol() == proto, (case, pair["client"]["conn"].getProtocol())
    assert pair["server"]["conn"].getProtocol() == proto, case
    cleanup()


def options(case: Case, keys) -> dict:
    cmin, cmax, cprot, smin, smax, sprot, ciphers, proto, cerr, serr = case
    return {
        "client": {"checkServerIdentity": lambda servername, cert: None,
                   "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"],
                   "minVersion": cmin, "maxVersion": cmax, "secureProtocol": cprot, "ciphers": ciphers},
        "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"],
                   "minVersion": smin, "maxVersion": smax, "secureProtocol": sprot, "ciphers": ciphers},
    }


def openssl_versions() -> Tuple[bool, bool]:
    """Node's common.hasOpenSSL3 / hasOpenSSL31, for the OpenSSL the package was built with."""
    number = lib.OPENSSL_VERSION_NUMBER
    major, minor = number >> 28 & 0xF, number >> 20 & 0xFF
    return major >= 3, (major, minor) >= (3, 1)


def main() -> None:
    calls = CallTracker()
    keys = fixture_keys()
    table = cases(tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION, *openssl_versions())

    def program() -> None:
        for case in table:
            tls_connect(calls, options(case, keys),
                        lambda err, pair, cleanup, case=case: check(case, err, pair, cleanup))

    run_program(program, calls)
    print("cases: %d" % len(table))


if __name__ == "__main__":
    main()
