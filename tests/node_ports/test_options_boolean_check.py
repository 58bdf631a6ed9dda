"""Port of test/parallel/test-tls-options-boolean-check.js: ``key`` / ``cert`` / ``ca``
accept strings, buffers (bytes, bytearray, memoryview for Node's Buffer, ArrayBuffer,
DataView), lists of them and false; anything else is ERR_INVALID_ARG_TYPE naming the
option and the offending value (the value itself, or the list item at fault)."""
import pytest

import tls
from tls._base.validators import received

from support.certs import node_keys


def _values():
    k = node_keys()
    key_buff, cert_buff = k["agent1"]["key"], k["agent1"]["cert"]
    key_buff2, cert_buff2 = k["ec"]["key"], k["ec"]["cert"]
    return dict(
        keyBuff=key_buff, certBuff=cert_buff, keyBuff2=key_buff2, certBuff2=cert_buff2,
        caCert=k["ca1"], caCert2=k["ca2"],
        keyStr=key_buff.decode(), certStr=cert_buff.decode(), keyStr2=key_buff2.decode(),
        certStr2=cert_buff2.decode(), caCertStr=k["ca1"].decode(), caCertStr2=k["ca2"].decode(),
        keyArrBuff=bytearray(key_buff), certArrBuff=bytearray(cert_buff), caArrBuff=bytearray(k["ca1"]),
        keyDataView=memoryview(key_buff), certDataView=memoryview(cert_buff), caArrDataView=memoryview(k["ca1"]))


def test_accepted_key_cert(node_run):
    v = _values()

    def main():
        for key, cert in [
            (v["keyBuff"], v["certBuff"]), (False, v["certBuff"]), (v["keyBuff"], False),
            (v["keyStr"], v["certStr"]), (False, v["certStr"]), (v["keyStr"], False), (False, False),
            (v["keyArrBuff"], v["certArrBuff"]), (v["keyArrBuff"], False), (False, v["certArrBuff"]),
            (v["keyDataView"], v["certDataView"]), (v["keyDataView"], False), (False, v["certDataView"]),
            ([v["keyBuff"], v["keyBuff2"]], [v["certBuff"], v["certBuff2"]]),
            ([v["keyStr"], v["keyStr2"]], [v["certStr"], v["certStr2"]]),
            ([v["keyStr"], v["keyStr2"]], False), (False, [v["certStr"], v["certStr2"]]),
            ([{"pem": v["keyBuff"]}], False), ([{"pem": v["keyBuff"]}, {"pem": v["keyBuff"]}], False),
        ]:
            tls.createServer({"key": key, "cert": cert})

    node_run(main)


def _refused(option, key, cert, ca, val):
    with pytest.raises(TypeError) as info:
        options = {"key": key, "cert": cert}
        if ca is not None:
            options["ca"] = ca
        tls.createServer(options)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
    assert info.value.message == ('The "options.%s" property must be of type string or an instance of Buffer, '
                               'TypedArray, or DataView. %s' % (option, received(val)))


def test_refused_key(node_run):
    v = _values()

    def main():
        for key, cert, index in [
            (True, v["certBuff"], None), (True, v["certStr"], None), (True, v["certArrBuff"], None),
            (True, v["certDataView"], None), (True, False, None), ({"pem": v["keyBuff"]}, False, None),
            ([v["keyBuff"], True], [v["certBuff"], v["certBuff2"]], 1),
            ([True, v["keyStr2"]], [v["certStr"], v["certStr2"]], 0),
            ([True, False], [v["certBuff"], v["certBuff2"]], 0), (True, [v["certBuff"], v["certBuff2"]], None),
        ]:
            _refused("key", key, cert, None, key if index is None else key[index])

    node_run(main)


def test_refused_cert(node_run):
    v = _values()

    def main():
        for key, cert, index in [
            (v["keyBuff"], True, None), (v["keyStr"], True, None), (v["keyArrBuff"], True, None),
            (v["keyDataView"], True, None), (True, True, None), (False, True, None),
            (False, {"pem": v["keyBuff"]}, None), (False, 1, None),
            ([v["keyBuff"], v["keyBuff2"]], [True, v["certBuff2"]], 0),
            ([v["keyStr"], v["keyStr2"]], [v["certStr"], True], 1),
            ([v["keyStr"], v["keyStr2"]], [True, False], 0), ([v["keyStr"], v["keyStr2"]], True, None),
        ]:
            _refused("cert", key, cert, None, cert if index is None else cert[index])

    node_run(main)


def test_ca(node_run):
    v = _values()

    def main():
        for ca in [v["caCert"], [v["caCert"], v["caCert2"]], v["caCertStr"], [v["caCertStr"], v["caCertStr2"]],
                   v["caArrBuff"], v["caArrDataView"], False]:
            tls.createServer({"key": v["keyBuff"], "cert": v["certBuff"], "ca": ca})
        for ca, index in [(True, None), ({}, None), (1, None), ([v["caCert"], True], 1)]:
            _refused("ca", v["keyBuff"], v["certBuff"], ca, ca if index is None else ca[index])
        for value in (None, False, "", 0):
            tls.createSecureContext({"key": value, "cert": value, "ca": value})

    node_run(main)
