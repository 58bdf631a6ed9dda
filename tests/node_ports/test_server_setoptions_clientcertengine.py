"""Port of test/parallel/test-tls-server-setoptions-clientcertengine.js
(Server.prototype.setOptions, deprecated as DEP0122)."""
import pytest

import tls

def test_set_options_client_cert_engine(node_run):
    def main():
        server = tls.createServer()
        assert server.clientCertEngine is None
        with pytest.warns(DeprecationWarning, match="Server.prototype.setOptions"):
            server.setOptions({"clientCertEngine": "Cannonmouth"})
        assert server.clientCertEngine == "Cannonmouth"

    node_run(main)
