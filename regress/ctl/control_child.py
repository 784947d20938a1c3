#!/usr/bin/python3
"""The control child alone, with this script as its parent and as ice: it
relays a client's request to the owner with the client's id and the reply
back; it drops a reply for a client that has gone; and it treats a reply
that is malformed, comes from the wrong process or answers nothing that
was asked as fatal, exiting 1 with "fatal in control: <function>: <type>".
Run as root: the child confines itself as in the daemon."""

import os
import re
import socket
import struct
import subprocess
import sys
import tempfile

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
NETBIRDD = os.environ.get("NETBIRDD", os.path.join(TOP, "netbirdd/netbirdd"))
HDR = struct.Struct("=IIII")
STATUS_SIZE = 1504		# sizeof(struct ctl_status), on x86_64
PEER_SIZE = 816			# sizeof(struct ctl_peer)
RESULT_SIZE = 260		# sizeof(struct ctl_result)
PROC_ICE = 3
TIMEOUT = 5
failed = 0


def imsg_types():
    text = open(os.path.join(TOP, "netbirdd/netbirdd.h")).read()
    body = re.search(r"enum imsg_type \{(.*?)\};", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = [n.strip() for n in body.split(",") if n.strip()]
    return {n: i for i, n in enumerate(names)}


T = imsg_types()
NAMES = {v: k for k, v in T.items()}


FD_MARK = 0x80000000		# in len: this message carries a descriptor


def imsg(name, payload=b"", peerid=0, fd=False):
    return HDR.pack(T[name], (HDR.size + len(payload)) |
                    (FD_MARK if fd else 0), peerid, 1) + payload


def recv_imsg(sock):
    """One message: (type name, peerid, payload), or None at EOF."""
    data = b""
    while len(data) < HDR.size:
        b = sock.recv(HDR.size - len(data))
        if not b:
            return None
        data += b
    t, ln, peerid, _ = HDR.unpack(data)
    payload = b""
    while len(payload) < ln - HDR.size:
        b = sock.recv(ln - HDR.size - len(payload))
        if not b:
            return None
        payload += b
    return NAMES.get(t, str(t)), peerid, payload


class Child:
    """The control child, its parent socket, its ice socket, and a
    listening socket handed over like the parent's control socket."""

    def __init__(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "ctl.sock")
        self.parent, child = socket.socketpair()
        os.makedirs("/run/netbirdd/empty", mode=0o755, exist_ok=True)
        self.p = subprocess.Popen(
            [NETBIRDD, "-P", "control", "-d", "-v"], pass_fds=[3],
            preexec_fn=lambda: os.dup2(child.fileno(), 3),
            stderr=subprocess.PIPE)
        child.close()
        self.parent.settimeout(TIMEOUT)
        self.ice, theirs = socket.socketpair()
        self.ice.settimeout(TIMEOUT)
        self.send_fd(imsg("IMSG_SOCKET_CONN", struct.pack("=i", PROC_ICE),
                          fd=True), theirs)
        theirs.close()
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.path)
        lsock.listen(8)
        self.send_fd(imsg("IMSG_SOCKET_CONTROL", fd=True), lsock)
        lsock.close()

    def send_fd(self, msg, sock):
        self.parent.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                     struct.pack("=i", sock.fileno()))])

    def client(self):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(TIMEOUT)
        c.connect(self.path)
        return c

    def finish(self):
        """Close the parent socket; (exit status, stderr)."""
        self.parent.close()
        self.ice.close()
        try:
            _, err = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, err = self.p.communicate()
            return None, err.decode(errors="replace")
        os.unlink(self.path)
        os.rmdir(self.dir)
        return self.p.returncode, err.decode(errors="replace")


def report(ok, what, detail=""):
    global failed
    if ok:
        print("ok - control child: " + what)
    else:
        failed += 1
        print("not ok - control child: %s: %s" % (what, detail))


def relay():
    """A request goes to its owner tagged with an id; the reply comes back."""
    ch = Child()
    try:
        c = ch.client()
        c.sendall(imsg("IMSG_CTL_SHOW_PEERS"))
        name, cid, payload = recv_imsg(ch.ice)
        report(name == "IMSG_CTL_SHOW_PEERS" and cid != 0 and not payload,
               "show peers goes to ice with a client id",
               "%s %d" % (name, cid))
        ch.ice.sendall(imsg("IMSG_CTL_END", peerid=cid))
        got = recv_imsg(c)
        report(got is not None and got[0] == "IMSG_CTL_END",
               "ice's END reaches the client", repr(got))
        c.sendall(imsg("IMSG_CTL_SHOW_STATUS"))
        name, cid2, _ = recv_imsg(ch.parent)
        report(name == "IMSG_CTL_SHOW_STATUS" and cid2 == cid,
               "show status goes to the parent, same client id",
               "%s %d" % (name, cid2))
        ch.parent.sendall(imsg("IMSG_CTL_SHOW_STATUS", bytes(STATUS_SIZE),
                               cid) + imsg("IMSG_CTL_END", peerid=cid))
        a, b = recv_imsg(c), recv_imsg(c)
        report(a[0] == "IMSG_CTL_SHOW_STATUS" and len(a[2]) == STATUS_SIZE
               and b[0] == "IMSG_CTL_END", "the status and END reach it")
        # a client that asks and goes: its late reply is dropped
        c.sendall(imsg("IMSG_CTL_RELOAD"))
        name, cid3, _ = recv_imsg(ch.parent)
        c.close()
        d = ch.client()
        d.sendall(imsg("IMSG_CTL_SHOW_PEERS"))
        name, did, _ = recv_imsg(ch.ice)
        report(did != cid3, "a new client gets a new id")
        ch.parent.sendall(imsg("IMSG_CTL_RESULT", bytes(RESULT_SIZE), cid3))
        ch.ice.sendall(imsg("IMSG_CTL_END", peerid=did))
        got = recv_imsg(d)
        report(got is not None and got[0] == "IMSG_CTL_END",
               "a reply to a client that has gone is dropped, others go on")
        d.close()
    except (OSError, TypeError) as e:
        report(False, "relay", repr(e))
    status, err = ch.finish()
    report(status == 0 and "fatal" not in err,
           "exits 0 when the parent goes", "%s %r" % (status, err))


def slow_reader():
    """A client that asks twice in one write and reads nothing: its
    second question waits, unread and not relayed, until the replies to
    the first, far more than the socket holds, are written out."""
    n = 2000
    ch = Child()
    try:
        c = ch.client()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sendall(imsg("IMSG_CTL_SHOW_PEERS") * 2)
        name, cid, _ = recv_imsg(ch.ice)
        ch.ice.sendall(imsg("IMSG_CTL_SHOW_PEER", bytes(PEER_SIZE), cid) *
                       n + imsg("IMSG_CTL_END", peerid=cid))
        ch.ice.settimeout(1)
        try:
            early = recv_imsg(ch.ice)
        except socket.timeout:
            early = None
        ch.ice.settimeout(TIMEOUT)
        report(early is None, "a client that does not read is not asked "
               "for more", repr(early))
        got = [recv_imsg(c)[0] for _ in range(n + 1)]
        report(got.count("IMSG_CTL_SHOW_PEER") == n and
               got[-1] == "IMSG_CTL_END", "all %d replies reach it once "
               "it reads" % n, repr(got[-3:]))
        name, cid2, _ = recv_imsg(ch.ice)
        report(name == "IMSG_CTL_SHOW_PEERS" and cid2 == cid,
               "then its second question goes to ice", name)
        ch.ice.sendall(imsg("IMSG_CTL_END", peerid=cid))
        got = recv_imsg(c)
        report(got is not None and got[0] == "IMSG_CTL_END",
               "and its answer reaches it", repr(got))
        c.close()
    except (OSError, TypeError) as e:
        report(False, "slow reader", repr(e))
    status, err = ch.finish()
    report(status == 0 and "fatal" not in err,
           "slow reader: exits 0 when the parent goes",
           "%s %r" % (status, err))


def expect_fatal(what, pattern, steps):
    """steps(child) sends something fatal; the child must exit 1."""
    ch = Child()
    try:
        steps(ch)
    except OSError as e:
        report(False, what, repr(e))
    try:
        ch.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    status, err = ch.finish()
    line = next((l for l in err.splitlines() if "fatal in" in l), "")
    report(status == 1 and re.search(pattern, line), what + ": " + line,
           "status %s, log %r" % (status, err))


def ask(ch, name, owner):
    c = ch.client()
    c.sendall(imsg(name))
    got = recv_imsg(owner)
    ch.keep = c
    return got[1]


F = r"^control: fatal in control: "
expect_fatal("a short status from the parent",
             F + r"control_relay: CTL_SHOW_STATUS from parent with 3 bytes",
             lambda ch: ch.parent.sendall(
                 imsg("IMSG_CTL_SHOW_STATUS", b"abc",
                      ask(ch, "IMSG_CTL_SHOW_STATUS", ch.parent))))
expect_fatal("a peer from the parent",
             F + r"control_relay: CTL_SHOW_PEER from parent",
             lambda ch: ch.parent.sendall(imsg("IMSG_CTL_SHOW_PEER",
                                               bytes(PEER_SIZE), 1)))
expect_fatal("a status from ice",
             F + r"control_relay: CTL_SHOW_STATUS from ice",
             lambda ch: ch.ice.sendall(imsg("IMSG_CTL_SHOW_STATUS",
                                            bytes(STATUS_SIZE), 1)))
expect_fatal("END with a payload from ice",
             F + r"control_relay: CTL_END from ice with 1 bytes",
             lambda ch: ch.ice.sendall(imsg("IMSG_CTL_END", b"x", 1)))
expect_fatal("a reply from ice to a question put to the parent",
             F + r"control_relay: CTL_END from ice for client \d+, "
             r"which did not ask it",
             lambda ch: ch.ice.sendall(imsg(
                 "IMSG_CTL_END",
                 peerid=ask(ch, "IMSG_CTL_RELOAD", ch.parent))))
expect_fatal("a type the parent never sends",
             F + r"control_relay: SIGNAL_RECV from parent",
             lambda ch: ch.parent.sendall(imsg("IMSG_SIGNAL_RECV")))
expect_fatal("a second control socket",
             F + r"control_socket: second control socket",
             lambda ch: ch.send_fd(imsg("IMSG_SOCKET_CONTROL", fd=True),
                                   ch.ice))
expect_fatal("a control socket without a descriptor",
             F + r"control_socket: no descriptor",
             lambda ch: ch.parent.sendall(imsg("IMSG_SOCKET_CONTROL")))
expect_fatal("a control socket with a payload",
             F + r"control_socket: SOCKET_CONTROL: payload of 1 bytes, "
             r"want none",
             lambda ch: ch.parent.sendall(imsg("IMSG_SOCKET_CONTROL", b"x")))
relay()
slow_reader()
sys.exit(1 if failed else 0)
