"""Port of test/parallel/test-tls-root-certificates.js.

Node's frozen array is a tuple here: the same object on every read, item assignment
raises TypeError and there is no sort() (Node: TypeError, a frozen array cannot sort in
place; Python: AttributeError, a tuple has no sort).
"""
import pytest

import tls


def test_root_certificates(node_run):
    def main():
        roots = tls.rootCertificates
        assert isinstance(roots, tuple)
        assert len(roots) > 0
        assert tls.rootCertificates is roots
        with pytest.raises(TypeError):
            roots[0] = 0
        with pytest.raises(AttributeError):
            roots.sort()
        assert len(roots) == len(set(roots))
        assert all(s.startswith("-----BEGIN CERTIFICATE-----\n") for s in roots)
        assert all(s.endswith("\n-----END CERTIFICATE-----") for s in roots)

    node_run(main)


def test_root_certificates_is_read_only(node_run):
    def main():
        try:
            with pytest.raises(TypeError):
                tls.rootCertificates = 0
        finally:
            tls.__dict__.pop("rootCertificates", None)

    node_run(main)
