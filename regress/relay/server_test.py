#!/usr/bin/python3
# Copyright (c) 2026 The netbirdd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""The test relay server (regress/fixtures/relay_server.py) against a
small client of its own: raw sockets, masked client frames, the relay
messages built here from protocol.md 6.  Auth good and bad, pairing and
forwarding, peer state notifications, a duplicate peer ID, health
checks and their timeout, protocol errors, the control socket, every
misbehaviour, TLS with a self-signed certificate, and SIGTERM.  One
line per check; exit 0 only if nothing failed.
"""

import base64
import hashlib
import hmac
import json
import os
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "fixtures", "relay_server.py")
PYTHON = "/usr/bin/python3"
SECRET = "test-relay-secret"
URL = "rel://relay.test:1234"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xa
HEALTH = b"\x01\x05"
CLOSE = b"\x01\x04"
TIMEOUT = "timeout"

failed = 0
tmpdir = tempfile.mkdtemp(prefix="relay_test.")
servers = []


def check(ok, what):
    global failed
    print("%s - %s" % ("ok" if ok else "not ok", what), flush=True)
    if not ok:
        failed = 1


# ---- relay messages -------------------------------------------------------

def peerid(key):
    return b"sha-" + hashlib.sha256(key.encode()).digest()


def pidstr(pid):
    return "sha-" + base64.b64encode(pid[4:]).decode()


def token(secret=SECRET, expiry=None):
    payload = str(int(time.time()) + 3600 if expiry is None
                  else expiry).encode()
    key = hashlib.sha256(secret.encode()).digest()
    return b"\x01" + hmac.new(key, payload, hashlib.sha256).digest() + \
        payload


def auth(pid, tok=None):
    return b"\x01\x06\x21\x12\xa4\x42" + pid + (tok or token())


def transport(pid, payload):
    return b"\x01\x03" + pid + payload


def ids_msg(mtype, *ids):
    return bytes((1, mtype)) + b"".join(ids)


# ---- a WebSocket client -----------------------------------------------------

class Closed(Exception):
    pass


class WS:
    def __init__(self, port, tls=None):
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        if tls is not None:
            s = tls.wrap_socket(s, server_hostname="localhost")
        self.sock = s
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /relay HTTP/1.1\r\nHost: relay.test\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        while b"\r\n\r\n" not in self.buf:
            self._more(3)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        want = base64.b64encode(hashlib.sha1(key.encode() +
                                             GUID).digest()).decode()
        if not head.startswith(b"HTTP/1.1 101") or \
                ("Sec-WebSocket-Accept: " + want).encode() not in head:
            raise Closed("bad handshake: %r" % head)

    def _more(self, timeout):
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise
        except (ConnectionError, OSError, ssl.SSLError) as e:
            raise Closed(str(e))
        if not d:
            raise Closed("EOF")
        self.buf += d

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self._more(left)
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def frame(self, timeout=2.0):
        """
        (b0, b1, payload) of one server frame, as it came; Closed,
        socket.timeout.
        """
        deadline = time.monotonic() + timeout
        b0, b1 = self._need(2, deadline)
        n = b1 & 0x7f
        if n == 126:
            n, = struct.unpack("!H", self._need(2, deadline))
        elif n == 127:
            n, = struct.unpack("!Q", self._need(8, deadline))
        mask = self._need(4, deadline) if b1 & 0x80 else None
        payload = self._need(n, deadline)
        if mask:
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        return b0, b1, payload

    def send(self, payload, opcode=OP_BINARY):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def recv(self, timeout=2.0, health=True):
        """
        The next relay message (binary), answering HealthChecks unless
        health is False; None when the server closes; TIMEOUT when
        nothing comes.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                b0, b1, p = self.frame(max(deadline - time.monotonic(),
                                           0.001))
            except Closed:
                return None
            except socket.timeout:
                return TIMEOUT
            op = b0 & 0x0f
            if op == OP_CLOSE:
                try:
                    self.send(p[:2], OP_CLOSE)
                except OSError:
                    pass
                return None
            if op == OP_PING:
                try:
                    self.send(p, OP_PONG)
                except OSError:
                    return None
                continue
            if health and op == OP_BINARY and p == HEALTH:
                try:
                    self.send(HEALTH)
                except OSError:
                    return None
                continue
            return p if op == OP_BINARY else (op, p)

    def quiet(self, secs=0.3):
        """True if no message comes (and the connection stays) for secs."""
        return self.recv(secs) == TIMEOUT

    def closed(self, timeout=2.0):
        """True if the server closes with no message before."""
        return self.recv(timeout) is None

    def dies(self, timeout):
        """True if closed within timeout, HealthChecks unanswered."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv(max(deadline - time.monotonic(), 0.001),
                          health=False)
            if m != HEALTH:
                return m is None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login(port, key, tls=None, tok=None):
    """A client authenticated as key: (WS, AuthResponse)."""
    ws = WS(port, tls)
    ws.send(auth(peerid(key), tok))
    return ws, ws.recv()


# ---- servers --------------------------------------------------------------

class Server:
    def __init__(self, name, *args):
        self.log = os.path.join(tmpdir, name + ".log")
        self.ctl = os.path.join(tmpdir, name + ".sock")
        self.proc = subprocess.Popen(
            [PYTHON, SERVER, "--control", self.ctl] + list(args),
            stdout=subprocess.PIPE, stderr=open(self.log, "w"))
        servers.append(self)
        self.port = None
        self.url = None

    def ready(self):
        if self.port is not None:
            return True
        r, _, _ = select.select([self.proc.stdout], [], [], 5)
        if not r:
            return False
        line = self.proc.stdout.readline().decode()
        f = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if "port" not in f:
            return False
        self.port, self.url = int(f["port"]), f.get("url")
        return True

    def cmd(self, line):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(self.ctl)
        s.sendall(line.encode() + b"\n")
        f = s.makefile("rb")
        reply = f.readline().decode().strip()
        s.close()
        return reply

    def stats(self):
        return json.loads(self.cmd("stats"))

    def logged(self, pattern):
        with open(self.log) as f:
            return any(pattern in line for line in f)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def make_cert():
    cert = os.path.join(tmpdir, "cert.pem")
    key = os.path.join(tmpdir, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", cert],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (cert, key) if r.returncode == 0 else (None, None)


# ---- the checks -----------------------------------------------------------

def test_auth(srv):
    ws, resp = login(srv.port, "keyA")
    check(resp == b"\x01\x07" + URL.encode(),
          "auth ok: AuthResponse carries the instance URL")
    ws.close()
    cases = [
        ("wrong secret", auth(peerid("bad1"), token(secret="other"))),
        ("expired payload", auth(peerid("bad2"),
                                 token(expiry=int(time.time()) - 5))),
        ("first message not Auth", ids_msg(8, peerid("bad3"))),
        ("Auth over 212 bytes", auth(peerid("bad4"), token() +
                                     b"0" * 140)),
        ("bad magic", b"\x01\x06\x21\x12\xa4\x43" + peerid("bad5") +
         token()),
        ("unknown algorithm", auth(peerid("bad6"), b"\x02" +
                                   token()[1:])),
    ]
    for what, msg in cases:
        ws = WS(srv.port)
        ws.send(msg)
        check(ws.closed(), "bad auth (%s): closed without reply" % what)
        ws.close()
    time.sleep(0.1)
    check(srv.stats()["auth_failures"] == len(cases),
          "stats count %d auth failures" % len(cases))
    check(srv.logged("auth failed peer=%s" % pidstr(peerid("bad1"))) and
          srv.logged("'bad signature'") and srv.logged("'expired token'"),
          "auth failures logged with peer ID and reason")


def test_pairing(srv):
    a, ra = login(srv.port, "keyA")
    pa, pb, pc = peerid("keyA"), peerid("keyB"), peerid("keyC")
    a.send(ids_msg(8, pb))
    check(a.quiet(), "subscribe to an offline peer: no answer")
    b, rb = login(srv.port, "keyB")
    check(rb is not None and rb[:2] == b"\x01\x07", "second peer authed")
    check(a.recv() == ids_msg(10, pb),
          "PeersOnline when the subscribed peer connects")
    b.send(ids_msg(8, pa))
    check(b.recv() == ids_msg(10, pa),
          "subscribe to an online peer: PeersOnline at once")
    a.send(ids_msg(8, pb, pc))
    check(a.recv() == ids_msg(10, pb),
          "subscribe to two: PeersOnline lists the online one only")
    a.send(transport(pb, b"hello from A"))
    check(b.recv() == transport(pa, b"hello from A"),
          "Transport A->B arrives with A's ID in place of B's")
    b.send(transport(pa, b"\x04\x00\x00\x00reply"))
    check(a.recv() == transport(pb, b"\x04\x00\x00\x00reply"),
          "Transport B->A arrives with B's ID")
    a.send(transport(pc, b"to nobody"))
    a.send(transport(pb, b""))
    check(b.recv() == transport(pa, b""),
          "Transport with no payload forwarded")
    check(a.quiet() and b.quiet(),
          "Transport to an unknown peer dropped silently")
    st = srv.stats()
    check(st["forwarded"] == 3 and st["dropped"] == 1 and
          st["clients"] == 2, "stats: 3 forwarded, 1 dropped, 2 clients")
    check(srv.logged("online peer=%s" % pidstr(pb)) and
          srv.logged("subscribe peer=%s to=%s" % (pidstr(pa), pidstr(pb))),
          "online and subscribe logged")

    b2, rb2 = login(srv.port, "keyB")
    check(rb2 is not None and rb2[:2] == b"\x01\x07",
          "duplicate peer ID authed")
    check(b.closed(), "duplicate peer ID: the first connection is closed")
    b.close()
    check(a.recv() == ids_msg(10, pb),
          "duplicate peer ID: subscribers told it is online again")
    a.send(transport(pb, b"to the new B"))
    check(b2.recv() == transport(pa, b"to the new B"),
          "duplicate peer ID: Transport goes to the new connection")
    check(srv.logged("replaced peer=%s" % pidstr(pb)),
          "replacement logged")

    b2.send(CLOSE)
    check(a.recv() == ids_msg(11, pb),
          "PeersWentOffline when the peer sends Close")
    check(b2.closed(), "Close message: the server closes the connection")
    b2.close()
    a.send(ids_msg(9, pb))
    b3, _ = login(srv.port, "keyB")
    check(a.quiet(), "after Unsubscribe: no PeersOnline")
    check(srv.cmd("kick " + pidstr(pb)) == "ok", "control: kick answers ok")
    check(b3.recv() == CLOSE and b3.closed(),
          "control: kick sends Close, then closes")
    b3.close()
    check(a.quiet(), "after Unsubscribe: no PeersWentOffline")
    return a


def test_protocol(srv):
    cases = [
        ("text message", lambda ws: ws.send(HEALTH, OP_TEXT)),
        ("version 2", lambda ws: ws.send(b"\x02\x05")),
        ("type 7 from a client", lambda ws: ws.send(b"\x01\x07x")),
        ("type 1 (legacy Hello)", lambda ws: ws.send(b"\x01\x01")),
        ("type 99", lambda ws: ws.send(b"\x01\x63")),
        ("9000-byte message", lambda ws: ws.send(
            transport(peerid("keyA"), bytes(9000 - 38)))),
        ("1-byte message", lambda ws: ws.send(b"\x01")),
    ]
    n0 = srv.stats()["protocol_closes"]
    for i, (what, act) in enumerate(cases):
        ws, _ = login(srv.port, "proto%d" % i)
        act(ws)
        check(ws.closed(), "%s: connection closed" % what)
        ws.close()
    time.sleep(0.1)
    check(srv.stats()["protocol_closes"] - n0 == len(cases),
          "stats count the protocol closes")
    ws, _ = login(srv.port, "proto-ok")
    ws.send(auth(peerid("proto-ok")))
    ws.send(transport(b"short", b""))
    ws.send(ids_msg(8, b"odd"))
    check(ws.quiet(), "second Auth, short Transport, odd subscribe list: "
          "ignored, connection kept")
    ws.close()


def test_misbehave_ctl(srv, a):
    pa = peerid("keyA")
    c, _ = login(srv.port, "keyD")
    na = pidstr(pa)

    def one(mode):
        check(srv.cmd("misbehave %s %s" % (mode, na)) == "ok",
              "control: misbehave %s answers ok" % mode)
        try:
            return a.frame()
        except (Closed, socket.timeout):
            return 0, 0, b""

    b0, b1, p = one("badversion")
    check(b0 == 0x82 and p == b"\x02\x05", "misbehave badversion: 02 05")
    b0, b1, p = one("badtype")
    check(p == b"\x01\x63", "misbehave badtype: type 99")
    b0, b1, p = one("oversize")
    check(b0 == 0x82 and len(p) == 70000, "misbehave oversize: 70000 bytes")
    b0, b1, p = one("truncated")
    check(len(p) == 10 and p[:2] == b"\x01\x03",
          "misbehave truncated: Transport of 10 bytes")
    b0, b1, p = one("text")
    check(b0 & 0x0f == OP_TEXT, "misbehave text: a text frame")
    b0, b1, p = one("badframe")
    check(b1 & 0x80 and p == HEALTH,
          "misbehave badframe: a masked server frame")
    b0, b1, p = one("badrsv")
    check(b0 & 0x70 == 0x40, "misbehave badrsv: RSV1 set")
    check(c.quiet(0.2), "misbehaviour to one peer leaves the other alone")
    check(srv.cmd("misbehave close " + na) == "ok" and a.closed(),
          "misbehave close: connection closed")
    a.close()
    check(srv.cmd("misbehave badversion") == "ok" and
          c.recv() == b"\x02\x05", "misbehave without a peer: every client")
    e, _ = login(srv.port, "keyE")
    check(srv.cmd("abort " + pidstr(peerid("keyE"))) == "ok" and
          e.closed(), "control: abort closes the connection")
    e.close()
    check(srv.cmd("kick sha-nobody").startswith("error") and
          srv.cmd("misbehave frobnicate").startswith("error") and
          srv.cmd("bogus").startswith("error"),
          "control: bad commands answered with an error")
    return c


def test_startup_modes(noauth, badresp, closing):
    ws = WS(noauth.port)
    ws.send(auth(peerid("n1")))
    check(ws.quiet(1.0), "--misbehave noauthresp: no answer to Auth")
    ws.close()
    ws, resp = login(badresp.port, "n2")
    check(resp == b"\x01\x07", "--misbehave badauthresp: empty URL")
    ws.close()
    ws, resp = login(closing.port, "n3")
    check(resp is not None and resp[:2] == b"\x01\x07" and ws.closed(),
          "--misbehave close: AuthResponse, then closed")
    ws.close()


def test_health(srv):
    y, _ = login(srv.port, "hy")
    t0 = time.monotonic()
    check(y.recv(1.0, health=False) == HEALTH,
          "HealthCheck sent within the interval")
    check(y.dies(3.0),
          "client that does not answer is closed")
    took = time.monotonic() - t0
    check(0.9 <= took <= 2.0, "closed after the health timeout "
          "(%.1f s after auth, timeout 1.0 s)" % took)
    x, _ = login(srv.port, "hx")
    check(x.quiet(2.0) and pidstr(peerid("hx")) in srv.stats()["peers"],
          "client that answers stays connected past the timeout")
    check(srv.stats()["health_sent"] >= 6,
          "stats count the HealthChecks sent")
    check(srv.logged("health timeout peer=%s" % pidstr(peerid("hy"))),
          "health timeout logged")
    check(srv.cmd("misbehave nohealth") == "ok", "control: nohealth")
    z, _ = login(srv.port, "hz")
    check(z.recv(1.5, health=False) == TIMEOUT,
          "nohealth: no HealthCheck, not closed")
    check(srv.cmd("misbehave none") == "ok" and
          z.recv(1.0, health=False) == HEALTH,
          "misbehave none: HealthChecks again")
    for ws in (x, y, z):
        ws.close()


def test_tls(srv, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    a, ra = login(srv.port, "tlsA", tls=ctx)
    check(ra == b"\x01\x07rels://127.0.0.1:%d" % srv.port,
          "TLS: auth ok, default instance URL rels://host:port")
    b, _ = login(srv.port, "tlsB", tls=ctx)
    a.send(ids_msg(8, peerid("tlsB")))
    check(a.recv() == ids_msg(10, peerid("tlsB")), "TLS: PeersOnline")
    b.send(transport(peerid("tlsA"), b"over TLS"))
    check(a.recv() == transport(peerid("tlsB"), b"over TLS"),
          "TLS: Transport forwarded")
    a.close()
    b.close()


def test_sigterm(srv, c):
    srv.proc.send_signal(signal.SIGTERM)
    check(c.recv() == CLOSE and c.closed(),
          "SIGTERM: clients get Close, then the connection closes")
    try:
        rc = srv.proc.wait(5)
    except subprocess.TimeoutExpired:
        rc = "still running"
    check(rc == 0, "SIGTERM: the server exits 0 (%s)" % rc)
    c.close()


def main():
    signal.alarm(90)
    cert, key = make_cert()
    main_srv = Server("main", "--secret", SECRET, "--instance-url", URL)
    health = Server("health", "--secret", SECRET, "--health-interval",
                    "0.3", "--health-timeout", "1.0")
    noauth = Server("noauth", "--misbehave", "noauthresp")
    badresp = Server("badresp", "--misbehave", "badauthresp")
    closing = Server("closing", "--misbehave", "close")
    tls = Server("tls", "--secret", SECRET, "--tls-cert", cert or "",
                 "--tls-key", key or "") if cert else None
    ready = all(s.ready() for s in servers)
    check(ready, "relay servers start")
    if not ready:
        for s in servers:
            with open(s.log) as f:
                sys.stderr.write(f.read())
        return
    test_auth(main_srv)
    a = test_pairing(main_srv)
    test_protocol(main_srv)
    c = test_misbehave_ctl(main_srv, a)
    test_startup_modes(noauth, badresp, closing)
    test_health(health)
    if tls is not None:
        test_tls(tls, cert)
    else:
        print("skip - TLS: openssl req failed")
    test_sigterm(main_srv, c)


if __name__ == "__main__":
    try:
        main()
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
    sys.exit(failed)
