#!/usr/bin/python3
# Hostile and unusual clients of the netbirdd control socket.
#   client.py SOCKET HEADER CASE [ARG]
# HEADER is netbirdd/netbirdd.h, from which the imsg type numbers are
# read (so they follow the enum).  Each case prints one line saying what
# the daemon did; run.sh compares it with what it must do.

import os
import random
import re
import socket
import struct
import sys
import time

HDR = struct.Struct("<IIII")		# type, len (header included), peerid, pid
RESULT = struct.Struct("<i256s")	# struct ctl_result
TIMEOUT = 5


def imsg_types(header):
    text = open(header).read()
    body = text[text.index("enum imsg_type {"):]
    body = body[:body.index("};")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = re.findall(r"^\s*(IMSG_\w+)", body, flags=re.M)
    return {n: i for i, n in enumerate(names)}


def connect(path):
    """Blocking: with a full listen backlog, wait for room (run.sh
    bounds the whole client with timeout(1))."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(TIMEOUT)
    return s


def msg(t, payload=b""):
    return HDR.pack(t, HDR.size + len(payload), 0, 0) + payload


def read_all(s):
    """Everything the daemon sends until it closes: (data, closed)."""
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return data, True
            data += b
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def replies(data, names):
    out = []
    while len(data) >= HDR.size:
        t, ln, _, _ = HDR.unpack_from(data)
        if ln < HDR.size or ln > len(data):
            break
        payload = data[HDR.size:ln]
        name = names.get(t, str(t))
        if name == "IMSG_CTL_RESULT" and len(payload) == RESULT.size:
            code, _ = RESULT.unpack(payload)
            name += "(%d)" % code
        out.append(name)
        data = data[ln:]
    return out


def expect_dropped(path, payload, close_early=False):
    s = connect(path)
    s.sendall(payload)
    if close_early:
        s.close()
        return "sent and closed"
    data, closed = read_all(s)
    s.close()
    if closed and not data:
        return "dropped"
    return "not dropped: %d bytes, closed %s" % (len(data), closed)


def main():
    path, header, case = sys.argv[1:4]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    types = imsg_types(header)
    names = {v: k for k, v in types.items()}
    T = types

    if case == "garbage":
        # random bytes whose first header has an impossible length
        rnd = random.Random(1)
        junk = bytes(rnd.randrange(256) for _ in range(200))
        junk = HDR.pack(0xdeadbeef, 3, 0, 0) + junk
        print(expect_dropped(path, junk))
    elif case == "oversize":
        print(expect_dropped(path, HDR.pack(T["IMSG_CTL_SHOW_STATUS"],
                                            1 << 20, 0, 0) + b"x" * 4096))
    elif case == "halfheader":
        print(expect_dropped(path, msg(T["IMSG_CTL_SHOW_STATUS"])[:7],
                             close_early=True))
    elif case == "halfmessage":
        m = HDR.pack(T["IMSG_CTL_LOG_VERBOSE"], HDR.size + 4, 0, 0) + b"\1"
        print(expect_dropped(path, m, close_early=True))
    elif case == "badrequest":
        # unknown type, a payload where none belongs, a bad log level
        bad = {"unknown": msg(0x7fff),
               "size": msg(T["IMSG_CTL_SHOW_STATUS"], b"xyz"),
               "level": msg(T["IMSG_CTL_LOG_VERBOSE"],
                            struct.pack("<i", 7)),
               "reply": msg(T["IMSG_CTL_END"])}[arg]
        s = connect(path)
        # what follows a bad request in the same write is never served
        s.sendall(bad + msg(T["IMSG_CTL_RELOAD"]))
        data, closed = read_all(s)
        s.close()
        print(" ".join(replies(data, names)) + (" closed" if closed else
                                                 " open"))
    elif case == "fdpass":
        s = connect(path)
        fd = os.open("/dev/null", os.O_RDONLY)
        s.sendmsg([msg(T["IMSG_CTL_SHOW_STATUS"])],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    struct.pack("i", fd))])
        os.close(fd)
        data, closed = read_all(s)
        s.close()
        print("dropped" if closed and not data else
              "not dropped: " + " ".join(replies(data, names)))
    elif case == "pipeline":
        # three requests in one write: served one after the other
        s = connect(path)
        s.sendall(msg(T["IMSG_CTL_SHOW_STATUS"]) +
                  msg(T["IMSG_CTL_SHOW_PEERS"]) +
                  msg(T["IMSG_CTL_SHOW_STATUS"]))
        want = 3
        data = b""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            r = replies(data, names)
            if len([x for x in r if x == "IMSG_CTL_END"]) >= want:
                break
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        print(" ".join(r.replace("IMSG_CTL_", "") for r in
                       replies(data, names)))
    elif case == "earlyclose":
        # ask, and go before the answer comes
        for i in range(int(arg)):
            s = connect(path)
            s.sendall(msg(T["IMSG_CTL_SHOW_PEERS"]) +
                      msg(T["IMSG_CTL_SHOW_STATUS"]))
            s.close()
        print("done")
    elif case == "flood":
        # N connections at once, for as long as the listen backlog lets
        # them in within 3 s; held for a while, then closed
        socks, pending = [], int(arg)
        deadline = time.time() + 3
        while pending > 0 and time.time() < deadline:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(path)
                socks.append(s)
                pending -= 1
            except BlockingIOError:
                s.close()
                time.sleep(0.01)
        time.sleep(2.5)
        for s in socks:
            s.close()
        print("%d connected, %d found the backlog full" %
              (len(socks), pending))
    elif case == "churn":
        for i in range(int(arg)):
            connect(path).close()
        print("done")
    else:
        sys.exit("unknown case " + case)


main()
