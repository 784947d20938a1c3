#!/usr/bin/python3
"""Every child treats a malformed message from the parent or a sibling as
fatal: it exits 1 with "fatal in <proc>: <function>: ..." and does nothing
else.  This plays the parent against the real, re-executed children."""

import os
import re
import socket
import struct
import subprocess
import sys

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
NETBIRDD = os.environ.get("NETBIRDD", os.path.join(TOP, "netbirdd/netbirdd"))
HDR = struct.Struct("=IIII")
failed = 0


def imsg_types():
    """The enum imsg_type, numbered as the compiler numbers it."""
    text = open(os.path.join(TOP, "netbirdd/netbirdd.h")).read()
    body = re.search(r"enum imsg_type \{(.*?)\};", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = [n.strip() for n in body.split(",") if n.strip()]
    return {n: i for i, n in enumerate(names)}


T = imsg_types()
PROC = {"parent": 0, "mgmt": 1, "signal": 2, "ice": 3, "metrics": 4,
        "control": 5, "dns": 6}


IMSG_FD_MARK = 0x80000000  # in hdr.len: this message carries an fd


def imsg(name, payload=b"", peerid=0, fd=False):
    length = HDR.size + len(payload)
    if fd:
        length |= IMSG_FD_MARK
    return HDR.pack(T[name], length, peerid, 1) + payload


def run_child(role, msgs, sibling=None):
    """Start `netbirdd -P role -d`, send msgs on its parent socket (or on a
    socket to `sibling` handed over first), return (status, stderr)."""
    parent, child = socket.socketpair()
    os.makedirs("/run/netbirdd/empty", mode=0o755, exist_ok=True)
    p = subprocess.Popen([NETBIRDD, "-P", role, "-d"], pass_fds=[3],
                         preexec_fn=lambda: os.dup2(child.fileno(), 3),
                         stderr=subprocess.PIPE)
    child.close()
    out = parent
    if sibling is not None:
        mine, theirs = socket.socketpair()
        payload = struct.pack("=i", PROC[sibling])
        parent.sendmsg([imsg("IMSG_SOCKET_CONN", payload, fd=True)],
                       [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                         struct.pack("=i", theirs.fileno()))])
        theirs.close()
        out = mine
    try:
        for m in msgs:
            out.sendall(m)
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err.decode(errors="replace")
    finally:
        parent.close()
    return p.returncode, err.decode(errors="replace")


def expect_fatal(what, role, msgs, pattern, sibling=None):
    global failed
    status, err = run_child(role, msgs, sibling)
    line = next((l for l in err.splitlines() if "fatal in" in l), "")
    if status == 1 and re.search(pattern, line):
        print(f"ok - {role}: {what}: {line.strip()}")
    else:
        failed += 1
        print(f"not ok - {role}: {what}: status {status}, log: {err.strip()!r}")


CHILD = r"fatal in %s: proc_child_common: "
for role in ("mgmt", "signal", "ice", "metrics", "dns"):
    c = CHILD % role
    expect_fatal("short RECONF_CONF", role,
                 [imsg("IMSG_RECONF_CONF", b"abc")],
                 c + r"RECONF_CONF: payload of 3 bytes, want \d+")
    expect_fatal("long KEY_PUBLIC", role,
                 [imsg("IMSG_KEY_PUBLIC", bytes(33))],
                 c + r"KEY_PUBLIC: payload of 33 bytes, want 32")
    expect_fatal("RECONF_DONE with a payload", role,
                 [imsg("IMSG_RECONF_DONE", b"x")],
                 c + r"RECONF_DONE: payload of 1 bytes, want none")
    expect_fatal("LOG_VERBOSE of the wrong size", role,
                 [imsg("IMSG_CTL_LOG_VERBOSE", b"\0\0")],
                 c + r"CTL_LOG_VERBOSE: payload of 2 bytes, want 4")
    expect_fatal("LOG_VERBOSE out of range", role,
                 [imsg("IMSG_CTL_LOG_VERBOSE", struct.pack("=i", 7))],
                 c + r"bad log level 7")
    expect_fatal("SOCKET_CONN without a descriptor", role,
                 [imsg("IMSG_SOCKET_CONN", struct.pack("=i", 3 if role != "ice" else 2))],
                 r"fatal in %s: proc_child_sibling: no descriptor" % role)
    expect_fatal("SOCKET_CONN naming the parent", role,
                 [imsg("IMSG_SOCKET_CONN", struct.pack("=i", 0))],
                 r"fatal in %s: proc_child_sibling: bad process 0" % role)
    expect_fatal("a type the parent never sends", role,
                 [imsg("IMSG_SIGNAL_RECV", b"")],
                 c + r"unexpected SIGNAL_RECV from parent")
    expect_fatal("a header longer than the maximum", role,
                 [HDR.pack(T["IMSG_RECONF_CONF"], 1 << 30, 0, 1)],
                 r"fatal in %s: proc_child_dispatch: imsgbuf_get from parent" % role)

# Siblings are held to the same rules.
expect_fatal("SHOW_PEERS with a payload, from control", "ice",
             [imsg("IMSG_CTL_SHOW_PEERS", b"zz")],
             r"fatal in ice: ice_dispatch_control: CTL_SHOW_PEERS: "
             r"payload of 2 bytes, want none", sibling="control")
expect_fatal("a type control never sends", "ice",
             [imsg("IMSG_CTL_RELOAD")],
             r"fatal in ice: ice_dispatch_control: unexpected CTL_RELOAD",
             sibling="control")
expect_fatal("a message from a sibling with no business", "signal",
             [imsg("IMSG_SIGNAL_SEND", b"")],
             r"fatal in signal: proc_child_common: unexpected SIGNAL_SEND "
             r"from metrics", sibling="metrics")
expect_fatal("DNS_QUERY of the wrong size", "dns",
             [imsg("IMSG_DNS_QUERY", b"host")],
             r"fatal in dns: dns_dispatch: DNS_QUERY: payload of 4 bytes",
             sibling="mgmt")
expect_fatal("DNS_QUERY with an unterminated name", "dns",
             [imsg("IMSG_DNS_QUERY", struct.pack("=IH", 1, 443) + b"a" * 256 + b"\0\0")],
             r"fatal in dns: dns_dispatch: unterminated host name",
             sibling="mgmt")
sys.exit(1 if failed else 0)
