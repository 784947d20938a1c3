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

"""Wire ice_peer (our agent) to nice_peer (libnice) across two network
namespaces and print ok / not ok lines (run.sh sets the namespaces up).

  wire.py interop NSA NSB ADDR_A ADDR_B LOGDIR
      both role assignments (and libnice controlling with aggressive
      nomination): connection, the selected pair, a datagram each way
      after selection (ours through the WireGuard stand-in socket),
      still connected 10 s later, and ours failing when libnice goes
      quiet
  wire.py trailing NSA NSB ADDR_A ADDR_B LOGDIR
      a Go-style check, 0x8100 after FINGERPRINT, from a Python sender
      built from RFC 5389 / RFC 8445 and protocol.md 4.8
  wire.py send8100 ADDR PORT USERNAME PWD
      the sender itself (run inside NSB by the trailing case)
"""

import hashlib
import hmac
import os
import select
import socket
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 51820
COOKIE = 0x2112A442
failed = 0


def ok(cond, what):
    global failed
    print("%s - %s" % ("ok" if cond else "not ok", what), flush=True)
    if not cond:
        failed += 1


class Peer:
    """A child speaking lines on stdin and stdout."""

    def __init__(self, name, argv, logdir):
        self.name = name
        self.log = open(os.path.join(logdir, name + ".log"), "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.log)
        self.buf = b""
        self.lines = []
        self.other = None

    def send(self, line):
        self.log.write(("# in: %s\n" % line).encode())
        self.log.flush()
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def first(self, word):
        for l in self.lines:
            if l.split(" ", 1)[0] == word:
                return l.split(" ")
        return None

    def stop(self):
        if self.p.poll() is None:
            self.send("quit")
            try:
                self.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def pump(peers, done, timeout):
    """Read lines, hand credentials and candidates over, until done()."""
    end = time.monotonic() + timeout
    while not done():
        left = end - time.monotonic()
        if left <= 0:
            return False
        fds = {p.p.stdout.fileno(): p for p in peers
               if p.p.stdout is not None}
        r, _, _ = select.select(list(fds), [], [], min(left, 0.1))
        for fd in r:
            p = fds[fd]
            data = os.read(fd, 65536)
            if not data:
                p.p.stdout = None
                continue
            p.buf += data
            while b"\n" in p.buf:
                line, p.buf = p.buf.split(b"\n", 1)
                line = line.decode(errors="replace")
                p.lines.append(line)
                p.log.write(("# out: %s\n" % line).encode())
                p.log.flush()
                if p.other is not None and \
                        line.split(" ", 1)[0] in ("cred", "cand"):
                    p.other.send(line)
    return True


CASES = (
    # ours, libnice's flags, what, the quiet test
    ("controlling", ["-r", "controlled"], "controlling", False),
    ("controlled", ["-r", "controlling"], "controlled", True),
    ("controlled", ["-r", "controlling", "-A"],
     "controlled, libnice aggressive", False),
)


def interop(nsa, nsb, addr_a, addr_b, logdir):
    times = []
    for i, (ours, flags, what, quiet) in enumerate(CASES):
        t0 = time.monotonic()
        a = Peer("ice_peer-%d" % i,
                 ["ip", "netns", "exec", nsa, os.path.join(HERE, "ice_peer"),
                  "-v", "-r", ours, "-a", addr_a, "-p", str(PORT)], logdir)
        b = Peer("nice_peer-%d" % i,
                 ["ip", "netns", "exec", nsb,
                  os.path.join(HERE, "nice_peer"), "-a", addr_b] + flags,
                 logdir)
        a.other, b.other = b, a
        try:
            one_case(a, b, what, addr_a, addr_b, times, quiet, t0)
        finally:
            a.stop()
            b.stop()
    for what, agent_ms, both_ms in times:
        print("# %s: connected %d ms after our agent started, both %d ms "
              "after both processes started" % (what, agent_ms, both_ms),
              flush=True)


def one_case(a, b, ours, addr_a, addr_b, times, quiet_test, t0):
    both_at = []

    def both():
        done = (a.first("connected") or a.first("failed")) and \
            (b.first("connected") or b.first("failed"))
        if done and not both_at:
            both_at.append(time.monotonic())
        return done

    pump([a, b], both, 20)
    ca, cb = a.first("connected"), b.first("connected")
    ok(ca is not None,
       "ours %s: connected to libnice in %s ms" %
       (ours, ca[1] if ca else "-"))
    ok(cb is not None, "ours %s: libnice connected" % ours)
    if ca is None or cb is None:
        return
    times.append((ours, int(ca[1]), int((both_at[0] - t0) * 1000)))
    # connected MS LTYPE LADDR RTYPE RADDR [RTT]
    ok(ca[2] == "host" and ca[3] == "%s:%d" % (addr_a, PORT) and
       ca[4] == "host" and ca[5].startswith(addr_b + ":"),
       "ours %s: selected host %s - host %s" % (ours, ca[3], ca[5]))
    ok(cb[3] == ca[5] and cb[5] == ca[3],
       "libnice selected the same pair (%s - %s)" % (cb[3], cb[5]))

    tag = ours.replace(",", "").replace(" ", "-")
    msg_a, msg_b = "from-netbirdd-" + tag, "from-libnice-" + tag
    a.send("send " + msg_a)
    b.send("send " + msg_b)
    pump([a, b], lambda: any(l == "recv " + msg_a for l in b.lines) and
         any(l.startswith("recv " + msg_b + " ") for l in a.lines), 5)
    ok(any(l == "recv " + msg_a for l in b.lines),
       "ours %s: a datagram from our WireGuard socket reaches libnice" %
       ours)
    got = [l for l in a.lines if l.startswith("recv " + msg_b + " ")]
    ok(len(got) > 0 and got[0].split(" ")[2] == ca[5],
       "ours %s: libnice's datagram to port %d reaches the WireGuard "
       "socket, from the selected remote" % (ours, PORT))

    pump([a, b], lambda: a.first("failed") or b.first("failed"), 10)
    ok(a.first("failed") is None and b.first("failed") is None,
       "ours %s: still connected 10 s later (keepalives)" % ours)
    if not quiet_test:
        return
    t = time.monotonic()
    b.p.kill()
    b.p.wait()
    pump([a], lambda: a.first("failed"), 10)
    quiet = time.monotonic() - t
    ok(a.first("failed") is not None and 1.5 <= quiet <= 7.0,
       "ours %s: libnice gone, ours failed after %.1f s (6 s after its "
       "last STUN)" % (ours, quiet))


def trailing(nsa, nsb, addr_a, addr_b, logdir):
    a = Peer("ice_peer-trailing",
             ["ip", "netns", "exec", nsa, os.path.join(HERE, "ice_peer"),
              "-v", "-r", "controlled", "-a", addr_a, "-p", str(PORT)],
             logdir)
    try:
        pump([a], lambda: a.first("cred"), 5)
        cred = a.first("cred")
        ok(cred is not None, "ice_peer gave its credentials")
        if cred is None:
            return
        a.send("cred PythonUfragPyth PythonPasswordPythonPasswordPyth")
        time.sleep(0.2)
        out = subprocess.run(
            ["ip", "netns", "exec", nsb, sys.executable,
             os.path.abspath(__file__), "send8100", addr_a, str(PORT),
             cred[1] + ":PythonUfragPyth", cred[2]],
            stdout=subprocess.PIPE, timeout=30)
        for line in out.stdout.decode().splitlines():
            print(line, flush=True)
            if line.startswith("not ok"):
                global failed
                failed += 1
        ok(out.returncode == 0, "the Python sender ran")
    finally:
        a.stop()


# ---- the sender (RFC 5389 messages, RFC 8445 attributes) ----------------

def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)


def with_length(msg, length):
    return msg[:2] + struct.pack("!H", length) + msg[4:]


def check_request(tid, username, pwd, trailer, bad_key=False):
    body = attr(0x0006, username.encode())              # USERNAME
    body += attr(0x0024, struct.pack("!I", 1862270975))  # PRIORITY
    body += attr(0x802A, struct.pack("!Q", 0x0123456789ABCDEF))  # CONTROLLING
    body += attr(0x0025, b"")                          # USE-CANDIDATE
    head = struct.pack("!HHI", 0x0001, 0, COOKIE) + tid
    msg = head + body
    key = (pwd + "x" if bad_key else pwd).encode()
    mac = hmac.new(key, with_length(msg, len(msg) - 20 + 24),
                   hashlib.sha1).digest()
    msg += attr(0x0008, mac)                            # MESSAGE-INTEGRITY
    crc = zlib.crc32(with_length(msg, len(msg) - 20 + 8)) ^ 0x5354554E
    msg += attr(0x8028, struct.pack("!I", crc))         # FINGERPRINT
    if trailer:
        # Go's CandidatePairID after FINGERPRINT, the length grown.
        msg += attr(0x8100, b"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6:"
                    b"q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2")
        msg = with_length(msg, len(msg) - 20)
    return with_length(msg, len(msg) - 20)


def parse_attrs(msg):
    attrs, off = [], 20
    while off + 4 <= len(msg):
        t, n = struct.unpack("!HH", msg[off:off + 4])
        attrs.append((t, off, msg[off + 4:off + 4 + n]))
        off += 4 + n + (4 - n % 4) % 4
    return attrs


def verify_response(resp, tid, pwd, me):
    if len(resp) < 20:
        return "short"
    t, n, cookie = struct.unpack("!HHI", resp[:8])
    if t != 0x0101 or cookie != COOKIE or resp[8:20] != tid or \
            n + 20 != len(resp):
        return "not a success response to our check"
    mapped = mi = fp = None
    for at, off, v in parse_attrs(resp):
        if at == 0x0020 and len(v) == 8:
            port = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
            ip = struct.unpack("!I", v[4:8])[0] ^ COOKIE
            mapped = (socket.inet_ntoa(struct.pack("!I", ip)), port)
        elif at == 0x0008:
            mi = (off, v)
        elif at == 0x8028:
            fp = (off, v)
    if mapped != me:
        return "XOR-MAPPED-ADDRESS %s, not %s" % (mapped, me)
    if mi is None or hmac.new(pwd.encode(),
                              with_length(resp[:mi[0]], mi[0] + 24 - 20),
                              hashlib.sha1).digest() != mi[1]:
        return "bad MESSAGE-INTEGRITY"
    if fp is None or struct.pack("!I", zlib.crc32(
            with_length(resp[:fp[0]], fp[0] + 8 - 20)) ^ 0x5354554E) != \
            fp[1]:
        return "bad FINGERPRINT"
    return None


def send8100(addr, port, username, pwd):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.connect((addr, int(port)))
    me = s.getsockname()
    s.settimeout(0.3)

    def ask(trailer, bad_key=False):
        tid = os.urandom(12)
        msg = check_request(tid, username, pwd, trailer, bad_key)
        for _ in range(5):
            s.send(msg)
            try:
                while True:
                    resp = s.recv(2048)
                    if resp[8:20] == tid:
                        return tid, resp
            except socket.timeout:
                continue
        return tid, None

    tid, resp = ask(False)
    ok(resp is not None and verify_response(resp, tid, pwd, me) is None,
       "a plain RFC 5389 check is answered: %s" %
       ("no answer" if resp is None else
        verify_response(resp, tid, pwd, me) or "valid"))
    tid, resp = ask(True)
    why = "no answer" if resp is None else verify_response(resp, tid, pwd, me)
    ok(resp is not None and why is None,
       "a check with 0x8100 after FINGERPRINT (Go's) is answered: "
       "XOR-MAPPED-ADDRESS = our source, MESSAGE-INTEGRITY and "
       "FINGERPRINT valid" + ("" if why is None else ": " + why))
    tid, resp = ask(True, bad_key=True)
    ok(resp is None, "the same with a wrong password is not answered")
    return 0 if failed == 0 else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "send8100":
        return send8100(*sys.argv[2:6])
    if len(sys.argv) != 7 or sys.argv[1] not in ("interop", "trailing"):
        sys.exit(__doc__)
    {"interop": interop, "trailing": trailing}[sys.argv[1]](*sys.argv[2:])
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
