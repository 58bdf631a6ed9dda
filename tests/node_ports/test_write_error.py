"""Port of test/parallel/test-tls-write-error.js: a regression test for a use-after-free when
SSL_write() failed (nodejs-private/security#189).  A hand-made TLS 1.2 client (Node's
test/common/tls.js ``TestTLSSocket``; here :class:`HandMadeTLS12`, written for this port) does an
RSA key exchange, sends its ChangeCipherSpec and an encrypted Finished, then an encrypted
handshake message a client must never send (ServerHelloDone); the server must survive it, and the
client's write callback ends the program (client.end(), server.close()).

Node's test checks nothing else; the port also checks what Node 20's server does with this client
(run against it): the handshake completes ('secureConnection', TLS_RSA_WITH_AES_128_CBC_SHA256),
then the socket's 'error' is ERR_SSL_UNEXPECTED_MESSAGE.

Node's server is an ``https`` server whose request handler never runs (no request is sent); a
tls server with the error handling http adds (``socketOnError``: destroy the socket) stands in.
"""
import hashlib
import hmac
import os
import struct
from typing import List, Optional

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import tls
from tls import net

TLS12 = b"\x03\x03"
CIPHER = b"\x00\x3c"  # TLS_RSA_WITH_AES_128_CBC_SHA256
CCS = b"\x14\x03\x03\x00\x01\x01"  # a ChangeCipherSpec record (common/tls.js's ``ccs``)


def _prf(secret: bytes, label: bytes, seed: bytes, size: int) -> bytes:
    """TLS 1.2's PRF (P_SHA256, RFC 5246 section 5)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < size:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:size]


def _handshake(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + struct.pack(">I", len(body))[1:] + body


def _record(content_type: int, payload: bytes) -> bytes:
    return bytes([content_type]) + TLS12 + struct.pack(">H", len(payload)) + payload


class HandMadeTLS12:
    """The client side of a TLS 1.2 RSA-key-exchange handshake, built message by message
    (only what test-tls-write-error.js needs: no server verification, no reading after it)."""

    def __init__(self) -> None:
        self.client_random = os.urandom(32)
        self.server_random = b""
        self.server_cert: Optional[bytes] = None
        self.transcript: List[bytes] = []
        self.master = b""
        self.seq = 0
        self._pending = b""
        self.server_done = False

    def client_hello(self) -> bytes:
        body = (TLS12 + self.client_random + b"\x00"  # no session id
                + b"\x00\x04" + CIPHER + b"\x00\xff"  # the suite, and the renegotiation SCSV
                + b"\x01\x00")  # null compression
        msg = _handshake(1, body)
        self.transcript.append(msg)
        return _record(22, msg)

    def parse(self, data: bytes) -> None:
        """Take the server's first flight (ServerHello, Certificate, ServerHelloDone), in any
        number of chunks; ``server_done`` once it is all there."""
        self._pending += data
        while len(self._pending) >= 5:
            content_type, length = self._pending[0], struct.unpack(">H", self._pending[3:5])[0]
            if len(self._pending) < 5 + length:
                return
            payload, self._pending = self._pending[5:5 + length], self._pending[5 + length:]
            assert content_type == 22, "expected a handshake record, got type %d" % content_type
            while payload:
                msg_type, size = payload[0], struct.unpack(">I", b"\x00" + payload[1:4])[0]
                msg, payload = payload[:4 + size], payload[4 + size:]
                self.transcript.append(msg)
                if msg_type == 2:  # ServerHello
                    self.server_random = msg[6:38]
                elif msg_type == 11:  # Certificate: the list's length (3), the first one's (3), its DER
                    first = struct.unpack(">I", b"\x00" + msg[7:10])[0]
                    self.server_cert = msg[10:10 + first]
                elif msg_type == 14:  # ServerHelloDone
                    self.server_done = True

    def client_key_exchange(self) -> bytes:
        premaster = TLS12 + os.urandom(46)
        public_key = x509.load_der_x509_certificate(self.server_cert).public_key()
        encrypted = public_key.encrypt(premaster, padding.PKCS1v15())
        msg = _handshake(16, struct.pack(">H", len(encrypted)) + encrypted)
        self.transcript.append(msg)
        self.master = _prf(premaster, b"master secret", self.client_random + self.server_random, 48)
        block = _prf(self.master, b"key expansion", self.server_random + self.client_random, 96)
        self.mac_key, self.enc_key = block[0:32], block[64:80]
        return _record(22, msg)

    def finished(self) -> bytes:
        digest = hashlib.sha256(b"".join(self.transcript)).digest()
        return _handshake(20, _prf(self.master, b"client finished", digest, 12))

    @staticmethod
    def illegal_handshake() -> bytes:
        return _handshake(14, b"")  # a ServerHelloDone, which only a server may send

    def encrypt(self, content_type: int, plaintext: bytes) -> bytes:
        """One record under the client's write keys: MAC-then-encrypt, AES-128-CBC, explicit IV."""
        header = struct.pack(">Q", self.seq) + bytes([content_type]) + TLS12 + struct.pack(">H", len(plaintext))
        self.seq += 1
        mac = hmac.new(self.mac_key, header + plaintext, hashlib.sha256).digest()
        pad = 15 - (len(plaintext) + len(mac)) % 16
        iv = os.urandom(16)
        encryptor = Cipher(algorithms.AES(self.enc_key), modes.CBC(iv)).encryptor()
        data = encryptor.update(plaintext + mac + bytes([pad]) * (pad + 1)) + encryptor.finalize()
        return _record(content_type, iv + data)


def test_write_error(agent1, calls, node_run):
    def main():
        def on_secure_connection(socket):
            assert socket.getCipher()["standardName"] == "TLS_RSA_WITH_AES_128_CBC_SHA256"

            def on_error(err):  # http's socketOnError destroys the socket
                assert err.code == "ERR_SSL_UNEXPECTED_MESSAGE"
                socket.destroy()

            socket.on("error", calls.must_call(on_error))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ciphers": "ALL@SECLEVEL=0"},
                                  calls.must_call(on_secure_connection))
        server.on("tlsClientError", lambda err, socket: None)  # https ignores them (no listener: destroy)

        def listening():
            hello = HandMadeTLS12()
            client = net.connect({"host": "localhost", "port": server.address()["port"]},
                                 calls.must_call(lambda: client.write(hello.client_hello())))

            def on_data(buf):
                hello.parse(bytes(buf))
                if not hello.server_done:
                    return
                client.removeListener("data", on_data_once)
                client.resume()  # the server's answer (an alert), which nobody reads
                frames = b"".join([hello.client_key_exchange(), CCS, hello.encrypt(22, hello.finished()),
                                   hello.encrypt(22, hello.illegal_handshake())])

                def written(*args):
                    client.end()
                    server.close()

                client.write(frames, calls.must_call(written))

            on_data_once = calls.must_call_at_least(on_data)
            client.on("data", on_data_once)

        server.listen(0, calls.must_call(listening))

    node_run(main, timeout=10)
