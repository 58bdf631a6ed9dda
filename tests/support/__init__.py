"""Helpers shared by the tests, one module per purpose (one copy of each helper).

* :mod:`support.aio` -- running a test body on a fresh asyncio loop under a deadline
  (:func:`async_test`, :func:`run_async`, :func:`arun`, :func:`guarded_run`) and waiting on our
  own emitters (:func:`once`, :func:`future_event`, :func:`when`, :class:`Recorder`,
  :class:`Collector`, :class:`Hasher`, :func:`send_random`).
* :mod:`support.loopback` -- ports and plain TCP on 127.0.0.1 (:func:`free_port`, :func:`listen`,
  :class:`RawServer`, ...).
* :mod:`support.node` -- the one Node subprocess peer (:class:`NodePeer`) and the scripts most
  tests share, :func:`same_lines_as_node` (one scenario written for Node and for us, the same
  printed lines); :mod:`support.net_scripts` -- the Node ``net`` scripts of tests/net.
* :mod:`support.openssl` -- the ``openssl`` CLI: one-shot commands and ``s_server`` /
  ``s_client`` peers.
* :mod:`support.node_style` -- for ports of Node's own tests, run as callback programs under
  ``tls.run``: :class:`CallTracker` (common.mustCall), :func:`run_program` (what the ``node_run``
  fixture calls), ``assert_equal`` / ``assert_true`` / ``assert_code`` for callbacks, :class:`Proc`
  (a subprocess inside such a program), :class:`RecordTap`, :func:`tls_connect` / :func:`fixture_keys`
  (Node's test/fixtures/tls-connect.js), :func:`duplex_pair` (test/common/duplexpair.js).
* :mod:`support.certs` -- certificates and keys (trustme, the openssl CLI, cryptography); the
  pytest fixtures built on them live in ``tests/conftest.py``.
* :mod:`support.engine` -- handshakes in memory: two engines back to back (:class:`Pair`), two SSL
  objects of SecureContexts (:func:`handshake`).
* :mod:`support.sansio` -- two ``tls.sansio.Connection`` peers moved by hand (:func:`pump`).
* :mod:`support.python` -- a fresh interpreter with this checkout's ``src/`` first on the path.
* :mod:`support.resume` -- one resuming connection seen by a real client: Python's ``ssl``
  (:func:`ssl_client`: ``session_reused``, the session to pass back) and ``tls.connect``
  (:func:`tls_client`: ``isSessionReused()``, the sessions with their tickets).
* :mod:`support.oracle` -- the same program run by Node 20 and by us (:func:`node_and_ours`), for
  expected values that come from Node.
* :mod:`support.redis` -- a real ``redis-server`` on a free port that can be killed, restarted and
  paused (:class:`RedisServer`), a tls server with a ``RedisSessionStore`` in a process of its own
  (:class:`StoreServer`), :func:`eventually`.

The tests import it as ``support`` (``tests/`` has no ``__init__.py``, so pytest puts it first on
``sys.path``, as it did for the flat helper modules before).
"""
