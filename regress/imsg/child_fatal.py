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
import time

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
    socket to `sibling` handed over first), return (status, stderr).  A
    message given as ("parent", bytes) goes to the parent socket even
    then, a little after the one before it, so that it arrives later."""
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
            if isinstance(m, tuple):
                time.sleep(0.3)
                parent.sendall(m[1])
            else:
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
# Who turns away what the parent never sends: a child's own dispatcher
# for the parent, if it has one.
PARENT_DISPATCH = {"mgmt": "mgmt_dispatch_parent",
                   "signal": "signal_dispatch_parent",
                   "ice": "ice_dispatch_parent",
                   "metrics": "metrics_dispatch_parent",
                   "dns": "proc_child_common"}
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
                 r"fatal in %s: %s: unexpected SIGNAL_RECV" %
                 (role, PARENT_DISPATCH[role]))
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

# What the parent forwards of the network map and of management's
# configuration: sizes as in netbirdd.h (x86-64).
PEER_SIZE, CONFIG_SIZE, STATS_SIZE = 308, 12564, 184


def key(n):
    return bytes([n]) * 32


def peer(n, fqdn=b"p.netbird.selfhosted", af=socket.AF_INET, plen=32,
         addr=b"\x64\x40\x00\x02"):
    """struct nbd_peer: key, fqdn[256], nbd_prefix {af, plen, pad, addr}."""
    return (key(n) + fqdn.ljust(256, b"\0")[:256] +
            struct.pack("=BB2x", af, plen) + addr.ljust(16, b"\0"))


def config(**kw):
    """struct nbd_netbird_config, all zero but the fields given."""
    b = bytearray(CONFIG_SIZE)
    b[0:18] = b"signal.example:443"
    struct.pack_into("=iIII", b, 256, kw.get("tls", 1), kw.get("nstun", 0),
                     kw.get("nturn", 0), kw.get("nrelay", 0))
    struct.pack_into("=i", b, CONFIG_SIZE - 4, kw.get("metrics", -1))
    if kw.get("unterminated"):
        b[0:256] = b"a" * 256
    return bytes(b)


def stats(n, family=0, handshake=0):
    b = bytearray(STATS_SIZE)
    b[0:32] = key(n)
    struct.pack_into("=H", b, 32, family)
    struct.pack_into("=q", b, 160, handshake)
    return bytes(b)


assert len(peer(1)) == PEER_SIZE and len(config()) == CONFIG_SIZE
I = r"fatal in ice: "
expect_fatal("PEER_ADD of the wrong size", "ice",
             [imsg("IMSG_PEER_ADD", peer(2)[:-1])],
             I + r"ice_peer_add: PEER_ADD: payload of 307 bytes, want 308")
expect_fatal("PEER_ADD with an all-zero key", "ice",
             [imsg("IMSG_PEER_ADD", peer(0))],
             I + r"ice_peer_check: all-zero key")
expect_fatal("PEER_ADD with an unterminated name", "ice",
             [imsg("IMSG_PEER_ADD", peer(2, fqdn=b"n" * 256))],
             I + r"ice_peer_check: unterminated FQDN")
expect_fatal("PEER_ADD with a network for an address", "ice",
             [imsg("IMSG_PEER_ADD", peer(2, plen=24))],
             I + r"ice_peer_check: bad address: family 2, length 24")
expect_fatal("PEER_ADD with an address of family 99", "ice",
             [imsg("IMSG_PEER_ADD", peer(2, af=99))],
             I + r"ice_peer_check: bad address: family 99, length 32")
expect_fatal("PEER_ADD twice", "ice",
             [imsg("IMSG_PEER_ADD", peer(2)), imsg("IMSG_PEER_ADD", peer(2))],
             I + r"ice_peer_add: a peer we have")
expect_fatal("PEER_UPDATE of a peer never added", "ice",
             [imsg("IMSG_PEER_ADD", peer(2)),
              imsg("IMSG_PEER_UPDATE", peer(3))],
             I + r"ice_peer_update: a peer we do not have")
expect_fatal("PEER_DEL of a peer removed already", "ice",
             [imsg("IMSG_PEER_ADD", peer(2)), imsg("IMSG_PEER_DEL", key(2)),
              imsg("IMSG_PEER_DEL", key(2))],
             I + r"ice_peer_del: a peer we do not have")
expect_fatal("PEER_DEL of the wrong size", "ice",
             [imsg("IMSG_PEER_DEL", key(2) + b"x")],
             I + r"ice_peer_del: PEER_DEL: payload of 33 bytes, want 32")
expect_fatal("WG_STATS nobody asked for", "ice",
             [imsg("IMSG_WG_STATS", stats(2), peerid=5)],
             I + r"ice_stats: counters for 5, who did not ask")
expect_fatal("WG_STATS_END nobody asked for", "ice",
             [imsg("IMSG_WG_STATS_END", peerid=5)],
             I + r"ice_show_end: end for client 5, who did not ask")
expect_fatal("WG_STATS_END with a payload", "ice",
             [imsg("IMSG_WG_STATS_END", b"x", peerid=5)],
             I + r"ice_stats_end: WG_STATS_END: payload of 1 bytes")
expect_fatal("the same client asking twice", "ice",
             [imsg("IMSG_CTL_SHOW_PEERS", peerid=4),
              imsg("IMSG_CTL_SHOW_PEERS", peerid=4)],
             I + r"ice_show_start: client 4 asked twice", sibling="control")
expect_fatal("WG_STATS with an endpoint of family 99", "ice",
             [imsg("IMSG_CTL_SHOW_PEERS", peerid=4),
              ("parent", imsg("IMSG_WG_STATS", stats(2, family=99),
                              peerid=4))],
             I + r"ice_stats: bad counters", sibling="control")
expect_fatal("WG_STATS with a negative handshake time", "ice",
             [imsg("IMSG_CTL_SHOW_PEERS", peerid=4),
              ("parent", imsg("IMSG_WG_STATS", stats(2, handshake=-1),
                              peerid=4))],
             I + r"ice_stats: bad counters", sibling="control")
expect_fatal("more WG_STATS than peers", "ice",
             [("parent", imsg("IMSG_PEER_ADD", peer(2))),
              imsg("IMSG_CTL_SHOW_PEERS", peerid=4),
              ("parent", imsg("IMSG_WG_STATS", stats(2), peerid=4) +
               imsg("IMSG_WG_STATS", stats(2), peerid=4))],
             I + r"ice_stats: more counters than peers",
             sibling="control")
# signal: the peers as ice gets them, shared keys, what ice sends.
SIGMSG_SIZE = 896


def sigmsg(n=2, type=0, payload=b"u:p", has_sid=0, ip_len=0):
    """struct nbd_signal_msg, as ice sends it."""
    b = (key(n) + struct.pack("=iI", type, 51820) +
         payload.ljust(512, b"\0")[:512] + b"0.77.1".ljust(64, b"\0") +
         bytes(256) + bytes(5) + bytes([has_sid, ip_len]) + bytes(16))
    return b.ljust(SIGMSG_SIZE, b"\0")


S = r"fatal in signal: "
expect_fatal("PEER_ADD with an all-zero key", "signal",
             [imsg("IMSG_PEER_ADD", peer(0))],
             S + r"sigpeer_add: all-zero key")
expect_fatal("PEER_ADD with a network for an address", "signal",
             [imsg("IMSG_PEER_ADD", peer(2, plen=24))],
             S + r"sigpeer_add: bad address")
expect_fatal("PEER_ADD twice", "signal",
             [imsg("IMSG_PEER_ADD", peer(2)), imsg("IMSG_PEER_ADD", peer(2))],
             S + r"sigpeer_add: a peer we have")
expect_fatal("PEER_UPDATE of a peer never added", "signal",
             [imsg("IMSG_PEER_UPDATE", peer(3))],
             S + r"sigpeer_add: update of a peer we do not have")
expect_fatal("PEER_DEL of a peer never added", "signal",
             [imsg("IMSG_PEER_DEL", key(2))],
             S + r"sigpeer_del: a peer we do not have")
expect_fatal("KEY_SHARED of the wrong size", "signal",
             [imsg("IMSG_KEY_SHARED", bytes(63))],
             S + r"sigpeer_key_shared: KEY_SHARED: payload of 63 bytes, "
             r"want 64")
expect_fatal("SIGNAL_SEND of the wrong size", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg()[:-1])],
             S + r"sigpeer_send: SIGNAL_SEND: payload of %d bytes, want %d" %
             (SIGMSG_SIZE - 1, SIGMSG_SIZE), sibling="ice")
expect_fatal("SIGNAL_SEND with an unterminated payload", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg(payload=b"a" * 512))],
             S + r"sigpeer_send: unterminated string", sibling="ice")
expect_fatal("SIGNAL_SEND of a HEARTBEAT", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg(type=6))],
             S + r"sigpeer_send: a HEARTBEAT", sibling="ice")
expect_fatal("SIGNAL_SEND with a relay IP of 5 bytes", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg(ip_len=5))],
             S + r"sigpeer_send: relay IP neither 0, 4 nor 16 bytes",
             sibling="ice")
expect_fatal("SIGNAL_SEND of an OFFER without ufrag:pwd", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg(payload=b"nocolon"))],
             S + r"sigpeer_send: has credentials that are not ufrag:pwd",
             sibling="ice")
expect_fatal("SIGNAL_SEND to an all-zero key", "signal",
             [imsg("IMSG_SIGNAL_SEND", sigmsg(n=0))],
             S + r"sigpeer_send: all-zero peer key", sibling="ice")
expect_fatal("DNS_ANSWER with 9 addresses", "signal",
             [imsg("IMSG_DNS_ANSWER", struct.pack("=IiI4x", 1, 0, 9) +
                   bytes(8 * 128))],
             S + r"server_dns_answer: 9 addresses", sibling="dns")
for role in ("signal", "ice", "metrics"):
    where = {"ice": "ice_mgmt_config",
             "signal": "sig_config"}.get(role, role + "_dispatch_parent")
    f = r"fatal in %s: %s: " % (role, where)
    expect_fatal("MGMT_CONFIG of the wrong size", role,
                 [imsg("IMSG_MGMT_CONFIG", config()[:-4])],
                 f + r"MGMT_CONFIG: payload of 12560 bytes, want 12564")
    expect_fatal("MGMT_CONFIG with 9 STUN servers", role,
                 [imsg("IMSG_MGMT_CONFIG", config(nstun=9))],
                 f + r"too many servers")
    expect_fatal("MGMT_CONFIG with signal TLS 2", role,
                 [imsg("IMSG_MGMT_CONFIG", config(tls=2))],
                 f + r"signal TLS neither 0 nor 1")
    expect_fatal("MGMT_CONFIG with an unterminated signal URI", role,
                 [imsg("IMSG_MGMT_CONFIG", config(unterminated=True))],
                 f + r"unterminated signal URI")
expect_fatal("MGMT_CONFIG with metrics flag 5", "metrics",
             [imsg("IMSG_MGMT_CONFIG", config(metrics=5))],
             r"fatal in metrics: metrics_dispatch_parent: metrics flag out "
             r"of range")
# ice: what signal and the parent send about connections.
expect_fatal("SIGNAL_RECV of the wrong size", "ice",
             [imsg("IMSG_SIGNAL_RECV", sigmsg()[:-1])],
             I + r"ice_signal_recv: SIGNAL_RECV: payload of %d bytes, "
             r"want %d" % (SIGMSG_SIZE - 1, SIGMSG_SIZE), sibling="signal")
expect_fatal("SIGNAL_RECV with an unterminated payload", "ice",
             [imsg("IMSG_SIGNAL_RECV", sigmsg(payload=b"a" * 512))],
             I + r"ice_signal_recv: unterminated string", sibling="signal")
expect_fatal("SIGNAL_RECV of type 3", "ice",
             [imsg("IMSG_SIGNAL_RECV", sigmsg(type=3))],
             I + r"ice_signal_recv: type 3", sibling="signal")
expect_fatal("SIGNAL_RECV with a relay IP of 5 bytes", "ice",
             [imsg("IMSG_SIGNAL_RECV", sigmsg(ip_len=5))],
             I + r"ice_signal_recv: relay address of 5 bytes",
             sibling="signal")
expect_fatal("SIGNAL_STATE of the wrong size", "ice",
             [imsg("IMSG_SIGNAL_STATE", bytes(3))],
             I + r"ice_signal_state: SIGNAL_STATE: payload of 3 bytes",
             sibling="signal")
expect_fatal("SOCKET_RAW without a descriptor", "ice",
             [imsg("IMSG_SOCKET_RAW", struct.pack("=iHH", 2, 51820, 0))],
             I + r"ice_raw_socket: no socket")
expect_fatal("HOST_ADDRS with 33 addresses", "ice",
             [imsg("IMSG_HOST_ADDRS", struct.pack("=I", 33) + bytes(32 * 20))],
             I + r"ice_host_addrs: 33 addresses")
expect_fatal("HOST_ADDRS with an address of family 99", "ice",
             [imsg("IMSG_HOST_ADDRS", struct.pack("=I", 1) +
                   bytes([99, 32]) + bytes(18) + bytes(31 * 20))],
             I + r"ice_host_addrs: bad address 0")
sys.exit(1 if failed else 0)
