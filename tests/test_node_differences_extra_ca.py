"""NODE_EXTRA_CA_CERTS (issue 12): its certificates join the default trust store (a context without
``ca``), not a given ``ca`` nor ``tls.rootCertificates``; an unreadable or broken file is reported on
stderr with Node's words.  Expected values from the same program run on Node 20 (support.oracle)."""
from __future__ import annotations

import pytest
import trustme

from support.oracle import node_and_ours

NODE = r"""
const tls = require('tls'), fs = require('fs');
const [key, cert, otherCa] = process.argv.slice(1, 4).map((f) => fs.readFileSync(f));
const roots = tls.rootCertificates.length;
const s = tls.createServer({key, cert}, (c) => c.end());
s.listen(0, '127.0.0.1', () => {
  const port = s.address().port;
  const tryOne = (label, extra, next) => {
    const c = tls.connect({port, host: '127.0.0.1', servername: 'localhost', ...extra}, () => {
      console.log(label, 'authorized', c.authorized); c.end();
    });
    c.on('error', (e) => console.log(label, 'error', e.code));
    c.on('close', next);
  };
  tryOne('default', {}, () => tryOne('given ca', {ca: otherCa}, () => {
    console.log('rootCertificates unchanged', tls.rootCertificates.length === roots); s.close();
  }));
});
"""

OURS = r"""
import sys, tls
key, cert, other_ca = (open(f, 'rb').read() for f in sys.argv[1:4])
def main():
    roots = len(tls.rootCertificates)
    s = tls.createServer({'key': key, 'cert': cert}, lambda c: c.end())
    def listening():
        port = s.address()['port']
        def try_one(label, extra, after):
            c = tls.connect(dict({'port': port, 'host': '127.0.0.1', 'servername': 'localhost'}, **extra),
                            lambda: (print(label, 'authorized', 'true' if c.authorized else 'false'), c.end()))
            c.on('error', lambda e: print(label, 'error', e.code))
            c.on('close', after)
        def last():
            print('rootCertificates unchanged', 'true' if len(tls.rootCertificates) == roots else 'false')
            s.close()
        try_one('default', {}, lambda: try_one('given ca', {'ca': other_ca}, last))
    s.listen(0, '127.0.0.1', listening)
tls.run(main)
"""


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    """A CA no system store trusts, its leaf for localhost, and an unrelated CA."""
    d = tmp_path_factory.mktemp("extra-ca")
    ca, other = trustme.CA(), trustme.CA()
    leaf = ca.issue_cert("localhost")
    paths = {}
    for name, blob in (("ca", ca.cert_pem), ("other", other.cert_pem), ("key", leaf.private_key_pem),
                       ("cert", leaf.cert_chain_pems[0])):
        paths[name] = str(d / (name + ".pem"))
        blob.write_to_path(paths[name])
    (d / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n")
    paths["broken"] = str(d / "broken.pem")
    return paths


def _run(private_ca, extra):
    args = (private_ca["key"], private_ca["cert"], private_ca["other"])
    node, ours = node_and_ours(NODE, OURS, *args, env={"NODE_EXTRA_CA_CERTS": extra})
    assert ours.status == 0, ours.stderr
    return node, ours


def test_extra_ca_certs_join_the_default_store_only(private_ca):
    node, ours = _run(private_ca, private_ca["ca"])
    # with a given ca the leaf is still not trusted (Node names the extra CA's certificate as self-signed in
    # the chain; without NODE_EXTRA_CA_CERTS both say UNABLE_TO_VERIFY_LEAF_SIGNATURE, as below)
    assert ours.lines == node.lines == [
        "default authorized true", "given ca error SELF_SIGNED_CERT_IN_CHAIN", "rootCertificates unchanged true"]
    assert "Warning" not in ours.stderr


@pytest.mark.parametrize("which", ["missing", "broken"])
def test_an_unusable_file_is_reported_as_node_reports_it(private_ca, which):
    path = private_ca["broken"] if which == "broken" else private_ca["ca"] + ".missing"
    node, ours = _run(private_ca, path)
    assert ours.lines == node.lines
    assert node.lines[0] == "default error UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    warning = [line for line in node.stderr.splitlines() if line.startswith("Warning: Ignoring extra certs")]
    assert len(warning) == 1
    assert warning == [line for line in ours.stderr.splitlines() if line.startswith("Warning: Ignoring extra certs")]
