"""The createSecureContext tests: every file both Python and Node read (``materials``)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from support.certs import make_materials


@pytest.fixture(scope="session")
def materials(tmp_path_factory, ca, server_cert, key_pem, cert_pem, ca_pem, rsa_ca) -> Any:
    """A directory of PEM/PFX/DH/CRL files; returns a name -> path function."""
    return make_materials(tmp_path_factory.mktemp("secure_context"), ca, server_cert, key_pem, cert_pem, ca_pem,
                          rsa_ca)


@pytest.fixture(scope="session")
def f(materials) -> Callable[[str], bytes]:
    """f(name) -> bytes of a material file (Node: fs.readFileSync(name))."""
    def read(name):
        with open(materials(name), "rb") as fh:
            return fh.read()
    return read


@pytest.fixture(scope="session")
def s(materials) -> Callable[[str], str]:
    """s(name) -> str of a material file (Node: fs.readFileSync(name, 'utf8'))."""
    def read(name):
        with open(materials(name), encoding="utf-8") as fh:
            return fh.read()
    return read
