"""tls.checkServerIdentity: Node's test/parallel/test-tls-check-server-identity.js
ported case for case, every case (plus extra ones for the quoted-SAN and IPv6
paths) also run through Node 20 itself and compared."""
from __future__ import annotations

import json
import subprocess
from typing import Any, Dict, List

import pytest

from tls._objects.x509 import canonicalize_ip, checkServerIdentity, is_ip
from tls.errors import NodeError


class JSNull:
    """Stands for JavaScript's null host (Python's None is `undefined`)."""

    def __str__(self) -> str:
        return "null"


NULL = JSNull()

# (host, cert, expected reason or None) -- Node's table, in Node's order.
NODE_TABLE: List[Dict[str, Any]] = [
    # False-y values.
    dict(host=False, cert={"subject": {"CN": "a.com"}},
         error="Host: false. is not cert's CN: a.com"),
    dict(host=NULL, cert={"subject": {"CN": "a.com"}},
         error="Host: null. is not cert's CN: a.com"),
    dict(host=None, cert={"subject": {"CN": "a.com"}},
         error="Host: undefined. is not cert's CN: a.com"),

    # Basic CN handling
    dict(host="a.com", cert={"subject": {"CN": "a.com"}}),
    dict(host="a.com", cert={"subject": {"CN": "A.COM"}}),
    dict(host="a.com", cert={"subject": {"CN": "b.com"}},
         error="Host: a.com. is not cert's CN: b.com"),
    dict(host="a.com", cert={"subject": {"CN": "a.com."}}),
    dict(host="a.com", cert={"subject": {"CN": ".a.com"}},
         error="Host: a.com. is not cert's CN: .a.com"),

    # IP address in CN: rejected.
    dict(host="8.8.8.8", cert={"subject": {"CN": "8.8.8.8"}},
         error="IP: 8.8.8.8 is not in the cert's list: "),
    # A "DNS:" SAN holding an IP address: rejected.
    dict(host="8.8.8.8", cert={"subject": {"CN": "8.8.8.8"}, "subjectaltname": "DNS:8.8.8.8"},
         error="IP: 8.8.8.8 is not in the cert's list: "),
    # Likewise for "URI:" SANs.
    dict(host="8.8.8.8", cert={"subject": {"CN": "8.8.8.8"},
                               "subjectaltname": "URI:http://8.8.8.8/"},
         error="IP: 8.8.8.8 is not in the cert's list: "),
    # An "IP Address:" SAN is acceptable.
    dict(host="8.8.8.8", cert={"subject": {"CN": "8.8.8.8"},
                               "subjectaltname": "IP Address:8.8.8.8"}),
    # But not when it's a CIDR.
    dict(host="8.8.8.8", cert={"subject": {"CN": "8.8.8.8"},
                               "subjectaltname": "IP Address:8.8.8.0/24"},
         error="IP: 8.8.8.8 is not in the cert's list: "),

    # Wildcards in CN
    dict(host="b.a.com", cert={"subject": {"CN": "*.a.com"}}),
    dict(host="ba.com", cert={"subject": {"CN": "*.a.com"}},
         error="Host: ba.com. is not cert's CN: *.a.com"),
    dict(host="\n.b.com", cert={"subject": {"CN": "*n.b.com"}},
         error="Host: \n.b.com. is not cert's CN: *n.b.com"),
    dict(host="b.a.com", cert={"subjectaltname": "DNS:omg.com", "subject": {"CN": "*.a.com"}},
         error="Host: b.a.com. is not in the cert's altnames: DNS:omg.com"),
    dict(host="b.a.com", cert={"subject": {"CN": "b*b.a.com"}},
         error="Host: b.a.com. is not cert's CN: b*b.a.com"),

    # Empty Cert
    dict(host="a.com", cert={}, error="Cert does not contain a DNS name"),

    # Empty Subject w/DNS name
    dict(host="a.com", cert={"subjectaltname": "DNS:a.com"}),

    # Empty Subject w/URI name
    dict(host="a.b.a.com", cert={"subjectaltname": "URI:http://a.b.a.com/"},
         error="Cert does not contain a DNS name"),

    # Multiple CN fields
    dict(host="foo.com", cert={"subject": {"CN": ["foo.com", "bar.com"]}}),

    # DNS names and CN
    dict(host="a.com", cert={"subjectaltname": "DNS:*", "subject": {"CN": "b.com"}},
         error="Host: a.com. is not in the cert's altnames: DNS:*"),
    dict(host="a.com", cert={"subjectaltname": "DNS:*.com", "subject": {"CN": "b.com"}},
         error="Host: a.com. is not in the cert's altnames: DNS:*.com"),
    dict(host="a.co.uk", cert={"subjectaltname": "DNS:*.co.uk", "subject": {"CN": "b.com"}}),
    dict(host="a.com", cert={"subjectaltname": "DNS:*.a.com", "subject": {"CN": "a.com"}},
         error="Host: a.com. is not in the cert's altnames: DNS:*.a.com"),
    dict(host="a.com", cert={"subjectaltname": "DNS:*.a.com", "subject": {"CN": "b.com"}},
         error="Host: a.com. is not in the cert's altnames: DNS:*.a.com"),
    dict(host="a.com", cert={"subjectaltname": "DNS:a.com", "subject": {"CN": "b.com"}}),
    dict(host="a.com", cert={"subjectaltname": "DNS:A.COM", "subject": {"CN": "b.com"}}),

    # DNS names
    dict(host="a.com", cert={"subjectaltname": "DNS:*.a.com", "subject": {}},
         error="Host: a.com. is not in the cert's altnames: DNS:*.a.com"),
    dict(host="b.a.com", cert={"subjectaltname": "DNS:*.a.com", "subject": {}}),
    dict(host="c.b.a.com", cert={"subjectaltname": "DNS:*.a.com", "subject": {}},
         error="Host: c.b.a.com. is not in the cert's altnames: DNS:*.a.com"),
    dict(host="b.a.com", cert={"subjectaltname": "DNS:*b.a.com", "subject": {}}),
    dict(host="a-cb.a.com", cert={"subjectaltname": "DNS:*b.a.com", "subject": {}}),
    dict(host="a.b.a.com", cert={"subjectaltname": "DNS:*b.a.com", "subject": {}},
         error="Host: a.b.a.com. is not in the cert's altnames: DNS:*b.a.com"),
    # Multiple DNS names
    dict(host="a.b.a.com", cert={"subjectaltname": "DNS:*b.a.com, DNS:a.b.a.com", "subject": {}}),
    # URI names
    dict(host="a.b.a.com", cert={"subjectaltname": "URI:http://a.b.a.com/", "subject": {}},
         error="Cert does not contain a DNS name"),
    dict(host="a.b.a.com", cert={"subjectaltname": "URI:http://*.b.a.com/", "subject": {}},
         error="Cert does not contain a DNS name"),
    # IP addresses
    dict(host="a.b.a.com", cert={"subjectaltname": "IP Address:127.0.0.1", "subject": {}},
         error="Cert does not contain a DNS name"),
    dict(host="127.0.0.1", cert={"subjectaltname": "IP Address:127.0.0.1", "subject": {}}),
    dict(host="127.0.0.2", cert={"subjectaltname": "IP Address:127.0.0.1", "subject": {}},
         error="IP: 127.0.0.2 is not in the cert's list: 127.0.0.1"),
    dict(host="127.0.0.1", cert={"subjectaltname": "DNS:a.com", "subject": {}},
         error="IP: 127.0.0.1 is not in the cert's list: "),
    dict(host="localhost", cert={"subjectaltname": "DNS:a.com", "subject": {"CN": "localhost"}},
         error="Host: localhost. is not in the cert's altnames: DNS:a.com"),
    # IDNA
    dict(host="xn--bcher-kva.example.com", cert={"subject": {"CN": "*.example.com"}}),
    # RFC 6125 6.4.3: no wildcard embedded within an A-label.
    dict(host="xn--bcher-kva.example.com", cert={"subject": {"CN": "xn--*.example.com"}},
         error="Host: xn--bcher-kva.example.com. is not cert's CN: xn--*.example.com"),
]

# Not in Node's table: the quoted-SAN splitter, IPv6 canonicalisation, trailing
# dots, JS truthiness of CN values.  Expected reasons come from Node itself.
EXTRA_CASES: List[Dict[str, Any]] = [
    dict(host="b.com", cert={"subjectaltname": 'DNS:"a.com\\u002c DNS:b.com"'}),
    dict(host="b.com", cert={"subjectaltname": 'DNS:a.com, DNS:"b\\u002cc.com", DNS:b.com'}),
    dict(host="b,c.com", cert={"subjectaltname": 'DNS:a.com, DNS:"b\\u002cc.com"'}),
    dict(host="x.com", cert={"subjectaltname": 'URI:"http://x\\"y", DNS:x.com'}),
    dict(host="10.0.0.1", cert={"subjectaltname": 'DNS:"a\\u002cb", IP Address:10.0.0.1'}),
    dict(host="::1", cert={"subjectaltname": "IP Address:0:0:0:0:0:0:0:1"}),
    dict(host="0:0::1", cert={"subjectaltname": "IP Address:0:0:0:0:0:0:0:1"}),
    dict(host="::2", cert={"subjectaltname": "IP Address:0:0:0:0:0:0:0:1"}),
    dict(host="fe80::1:2", cert={"subjectaltname": "IP Address:FE80:0:0:0:0:0:1:2"}),
    dict(host="fe80::1:2%eth0", cert={"subjectaltname": "IP Address:FE80:0:0:0:0:0:1:2"}),
    dict(host="::ffff:1.2.3.4", cert={"subjectaltname": "IP Address:0:0:0:0:0:FFFF:102:304"}),
    dict(host="1.2.3.4", cert={"subjectaltname": "IP Address:0:0:0:0:0:FFFF:102:304"}),
    dict(host="1.2.3.4", cert={"subjectaltname": "IP Address:<invalid length=5>, IP Address:1.2.3.5"}),
    dict(host="2001:db8::1", cert={"subjectaltname": "IP Address:2001:DB8:0:0:0:0:0:2, DNS:x.com"}),
    dict(host="127.0.0.1.", cert={"subjectaltname": "IP Address:127.0.0.1"}),
    dict(host="127.000.0.1", cert={"subjectaltname": "IP Address:127.0.0.1"}),
    dict(host="A.COM.", cert={"subjectaltname": "DNS:a.com"}),
    dict(host="a.com..", cert={"subjectaltname": "DNS:a.com"}),
    dict(host="", cert={"subject": {"CN": "a.com"}}),
    dict(host="a.com", cert={"subject": {"CN": []}}),
    dict(host="a.com", cert={"subject": {"CN": ""}}),
    dict(host="b.A.com", cert={"subjectaltname": "DNS:*.A.COM"}),
    dict(host="bxyz.a.com", cert={"subjectaltname": "DNS:b*z.a.com"}),
    dict(host="bz.a.com", cert={"subjectaltname": "DNS:b*z.a.com"}),
    dict(host="bz.a.com", cert={"subjectaltname": "DNS:bz*z.a.com"}),
    dict(host="a.xn--bcher-kva.com", cert={"subjectaltname": "DNS:*.xn--bcher-kva.com"}),
    dict(host="\u00fc.a.com", cert={"subjectaltname": "DNS:*.a.com"}),
    dict(host="a.com", cert={"subjectaltname": "DNS:\u00e4.com"}),
    dict(host="\U0001F600.a.com", cert={"subjectaltname": "DNS:x*.a.com"}),
    dict(host="a..com", cert={"subjectaltname": "DNS:a..com"}),
    dict(host="*.a.com", cert={"subjectaltname": "DNS:*.a.com"}),
    dict(host="a.com", cert={"subjectaltname": "DNS:a.com, IP Address:1.2.3.4", "subject": {"CN": "x"}}),
    dict(host="b.com", cert={"subjectaltname": "email:a@b.com, DNS:c.com"}),
    dict(host="b.com", cert={"subjectaltname": "", "subject": {"CN": "b.com"}}),
    dict(host="foo.com", cert={"subject": {"CN": ["x.com", "*.foo.com"]}}),
]


def _js_host(host: Any) -> Any:
    if host is None:
        return {"$undefined": True}
    if host is NULL:
        return {"$null": True}
    return host


NODE_SCRIPT = r"""
const tls = require('tls');
let input = '';
process.stdin.on('data', (d) => input += d).on('end', () => {
  const out = JSON.parse(input).map(({ host, cert }) => {
    if (host && host.$undefined) host = undefined;
    else if (host && host.$null) host = null;
    try {
      const err = tls.checkServerIdentity(host, cert);
      if (!err) return null;
      return { code: err.code, message: err.message, reason: err.reason,
               host: err.host, sameCert: err.cert === cert, name: err.name };
    } catch (e) {
      return { thrown: true, code: e.code, message: e.message, name: e.name };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.fixture(scope="module")
def node_results() -> List[Any]:
    cases = NODE_TABLE + EXTRA_CASES
    payload = [{"host": _js_host(c["host"]), "cert": c["cert"]} for c in cases]
    proc = subprocess.run(["node", "-e", NODE_SCRIPT], input=json.dumps(payload).encode(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.mark.parametrize("index", range(len(NODE_TABLE)))
def test_node_table(index: int) -> None:
    case = NODE_TABLE[index]
    err = checkServerIdentity(case["host"], case["cert"])
    assert (err and err.reason) == case.get("error"), case
    if err is not None:
        assert isinstance(err, NodeError)
        assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
        assert err.message == "Hostname/IP does not match certificate's altnames: " + case["error"]
        assert err.cert is case["cert"]


@pytest.mark.node
@pytest.mark.parametrize("index", range(len(NODE_TABLE) + len(EXTRA_CASES)))
def test_same_as_node(index: int, node_results: List[Any]) -> None:
    case = (NODE_TABLE + EXTRA_CASES)[index]
    expected = node_results[index]
    err = checkServerIdentity(case["host"], case["cert"])
    if expected is None:
        assert err is None, (case, err and err.reason)
        return
    assert err is not None, case
    assert err.code == expected["code"] == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert err.reason == expected["reason"]
    assert err.message == expected["message"]
    assert err.host == expected["host"]
    assert expected["sameCert"] and err.cert is case["cert"]


MALFORMED = ['DNS:"unterminated', 'DNS:a.com, DNS:"bad\\x"', 'DNS:"ctl\u0001"']


@pytest.mark.node
def test_malformed_quoted_altnames_throw_like_node() -> None:
    payload = [{"host": "a.com", "cert": {"subjectaltname": s}} for s in MALFORMED]
    proc = subprocess.run(["node", "-e", NODE_SCRIPT], input=json.dumps(payload).encode(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    for alt, expected in zip(MALFORMED, json.loads(proc.stdout)):
        assert expected["thrown"] and expected["name"] == "SyntaxError"
        with pytest.raises(NodeError) as info:
            checkServerIdentity("a.com", {"subjectaltname": alt})
        assert isinstance(info.value, SyntaxError)
        assert info.value.code == expected["code"] == "ERR_TLS_CERT_ALTNAME_FORMAT"
        assert info.value.message == expected["message"]


CANON = ["::2", "::1", "::ffff:1.2.3.4", "0:0:0:0:0:0:0:1", "1:0:0:0:0:0:0:0", "fe80::1%eth0",
         "::", "1::", "1:2:3:4:5:6:7:8", "::0:0:1:2", "127.000.0.1", "1.2.3", "::1.2.3.4",
         "0:0:0:0:0:ffff:102:304", "ABCD::EF", "1:0:0:1:0:0:0:1", "1:0:0:1:0:0:1:1", "1.2.3.4",
         "255.255.255.255", "256.1.1.1", ":1", "1:", "1::2::3", "12345::", "::1:2:3:4:5:6:7",
         "1:2:3:4:5:6:1.2.3.4", "", "a", "1.2.3.4.5", "01.2.3.4", "0:0:0:0:0:0:1.2.3.4",
         "::ffff:0:0", "0:0:0:0:1:0:0:0", "[::1]"]


@pytest.mark.node
def test_ip_helpers_match_node() -> None:
    script = r"""
      const { internalBinding } = require('internal/test/binding');
      const { canonicalizeIP } = internalBinding('cares_wrap');
      const net = require('net');
      const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      process.stdout.write(JSON.stringify(inputs.map((s) =>
        [canonicalizeIP(s) ?? null, net.isIP(s)])));
    """
    proc = subprocess.run(["node", "--expose-internals", "--no-warnings", "-e", script],
                          input=json.dumps(CANON).encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    for s, (canon, family) in zip(CANON, json.loads(proc.stdout)):
        assert canonicalize_ip(s) == canon, s
        assert is_ip(s) == family, s
