"""Port of test/parallel/test-tls-wrap-event-emmiter.js: a bare EventEmitter is not a stream."""
import pytest

import tls
from tls import events


def test_tlssocket_refuses_an_event_emitter(node_run):
    def main():
        with pytest.raises(TypeError):
            tls.TLSSocket(events.EventEmitter())

    node_run(main)
