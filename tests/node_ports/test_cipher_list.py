"""Port of test/parallel/test-tls-cipher-list.js: a child run without flags prints the built-in
default cipher list as ``tls.DEFAULT_CIPHERS``, and with ``--tls-cipher-list=ABC`` prints ``ABC``
(Node's child is ``node [--tls-cipher-list=ABC] -pe tls.DEFAULT_CIPHERS``; here ``python -m tls
run [--tls-cipher-list=ABC] -c "print(tls.DEFAULT_CIPHERS)"``, support.node_style.tls_run).

Node checks ``crypto.constants.defaultCipherList`` the same way; Python has no ``crypto``
module, so those two of its four checks have no counterpart.  The expected default is Node's
``crypto.constants.defaultCoreCipherList``, asked of the installed Node."""
import subprocess

import pytest

from support.node import NODE
from support.node_style import tls_run
from tls._base.constants import CIPHER_LIST_ENV, NODE_DEFAULT_CIPHERS


@pytest.fixture(scope="module")
def default_core_list():
    out = subprocess.run([NODE, "-p", "require('crypto').constants.defaultCoreCipherList"],
                         capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    assert out == NODE_DEFAULT_CIPHERS  # the built-in default is Node 20's
    return out


@pytest.mark.parametrize("flags,expected", [([], None), (["--tls-cipher-list=ABC"], "ABC")],
                         ids=["default", "tls-cipher-list"])
def test_cipher_list(flags, expected, default_core_list, calls, node_run):
    env = {CIPHER_LIST_ENV: ""}  # the package's own stand-in for the flag, empty: not set
    out = []

    def main():
        def on_exit(code, stdout, stderr):
            assert code == 0, stderr
            out.append(stdout.decode())

        tls_run(flags, "-c", "import tls; print(tls.DEFAULT_CIPHERS)", env=env,
                on_exit=calls.must_call(on_exit))

    node_run(main)
    assert out[0].strip() == (expected or default_core_list)
