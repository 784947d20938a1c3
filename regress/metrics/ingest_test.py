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

"""The test ingest server (regress/fixtures/ingest_server.py) against
pushes made here: valid bodies of every measurement, hostile ones, the
failure mode, the remote config and its changes, the control commands
through the "ctl" client, TLS."""

import gzip
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "fixtures", "ingest_server.py")
PYTHON = sys.executable
PEER = "0123456789abcdef"
OTHER = "fedcba9876543210"

failed = 0


def check(ok, what):
    global failed
    print("%s - %s" % ("ok" if ok else "not ok", what), flush=True)
    if not ok:
        failed += 1


def now_ns():
    return time.time_ns()


def sync(peer=PEER, value="0.012", stamp=None):
    return ("netbird_sync,deployment_type=selfhosted,version=0.1.0,os=linux,"
            "arch=amd64,peer_id=%s duration_seconds=%s %d\n" %
            (peer, value, now_ns() if stamp is None else stamp))


def phase(name="added_peers"):
    return ("netbird_sync_phase,deployment_type=selfhosted,version=0.1.0,"
            "os=linux,arch=amd64,peer_id=%s,phase=%s "
            "duration_seconds=1e-05 %d\n" % (PEER, name, now_ns()))


def login(result="success"):
    return ("netbird_login,deployment_type=unknown,result=%s,version=0.1.0,"
            "os=linux,arch=amd64,peer_id=%s duration_seconds=0.5 %d\n" %
            (result, PEER, now_ns()))


def conn(ctype="ice_p2p", fields=None):
    f = fields or ("connection_to_wg_handshake_seconds=0.25,"
                   "signaling_to_connection_seconds=1.5,total_seconds=1.75")
    return ("netbird_peer_connection,deployment_type=cloud,connection_type=%s,"
            "attempt_type=initial,version=0.1.0,os=linux,arch=amd64,"
            "peer_id=%s,connection_pair_id=%s %s %d\n" %
            (ctype, PEER, OTHER, f, now_ns()))


class Ingest:
    def __init__(self, tmp, tls=None):
        self.sock = os.path.join(tmp, "ingest%s.sock" % ("-tls" if tls
                                                          else ""))
        cmd = [PYTHON, SERVER, "--control", self.sock]
        if tls:
            cmd += ["--tls"] + list(tls)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(
                                         tmp, "ingest.log"), "a"))
        line = self.proc.stdout.readline().decode()
        self.port = int(line.split()[1]) if line.startswith(
            "listening ") else 0
        self.tls = tls

    def conn(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls[0])
            return http.client.HTTPSConnection("localhost", self.port,
                                               context=ctx, timeout=10)
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=10)

    def ctl(self, *words):
        """One command through the shell-facing client: (status, reply)."""
        r = subprocess.run([PYTHON, SERVER, "ctl", self.sock] +
                           [str(w) for w in words], capture_output=True,
                           timeout=20)
        return r.returncode, r.stdout.decode().rstrip("\n")

    def ctl_json(self, *words):
        return json.loads(self.ctl(*words)[1])

    def post(self, body, headers=None, path="/ingest", raw=False):
        h = {"Content-Type": "text/plain; charset=utf-8",
             "Content-Encoding": "gzip", "X-Peer-ID": PEER}
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        data = body if raw else gzip.compress(body.encode())
        c = self.conn()
        c.request("POST", path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        return r.status, text

    def get(self, path):
        c = self.conn()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body, r.getheader("Content-Type")

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def valid_pushes(srv):
    bodies = [
        ("one sync line", sync()),
        ("every measurement", sync() + phase() + login() + conn() +
         login("failure") + conn("relay")),
        ("every phase", "".join(phase(p) for p in (
            "netbird_config", "checks", "persist", "dns_server",
            "routes_classify", "routes_apply", "filtering", "dns_forwarder",
            "forward_rules", "offline_peers", "removed_peers",
            "modified_peers", "added_peers", "lazy_exclude"))),
        ("values 0 and 86400", sync(value="0") + sync(value="86400")),
        ("a turn connection, zero stages", conn(
            "ice_turn", "connection_to_wg_handshake_seconds=0,"
            "signaling_to_connection_seconds=0,total_seconds=0")),
        ("a timestamp 23 h old", sync(stamp=now_ns() - 23 * 3600 * 10**9)),
    ]
    for what, body in bodies:
        status, text = srv.post(body)
        check(status == 204, "valid push, %s: 204 (%d %s)" %
              (what, status, text.strip()[:80]))
    status, _ = srv.post(sync(), path="/")
    check(status == 204, "valid push to / (server_url is used verbatim)")
    return len(bodies) + 1


def hostile_pushes(srv):
    """Each: (what, body, headers, raw, status, a word of the reason)."""
    late = now_ns() - 25 * 3600 * 10**9
    cases = [
        ("not gzip", sync().encode(), None, True, 400, "invalid gzip"),
        ("gzip cut short", gzip.compress(sync().encode())[:-6], None, True,
         400, "gzip"),
        ("no Content-Encoding", gzip.compress(sync().encode()),
         {"Content-Encoding": None}, True, 400, "Content-Encoding"),
        ("Content-Type text/plain", sync(), {"Content-Type": "text/plain"},
         False, 400, "Content-Type"),
        ("no X-Peer-ID", sync(), {"X-Peer-ID": None}, False, 401,
         "missing X-Peer-ID"),
        ("X-Peer-ID upper case", sync(), {"X-Peer-ID": PEER.upper()},
         False, 401, "X-Peer-ID"),
        ("X-Peer-ID of 15 digits", sync(), {"X-Peer-ID": PEER[:15]},
         False, 401, "X-Peer-ID"),
        ("X-Peer-ID not the peer_id tag", sync(), {"X-Peer-ID": OTHER},
         False, 400, "peer_id="),
        ("wrong tag order", sync().replace(
            "version=0.1.0,os=linux", "os=linux,version=0.1.0"), None, False,
         400, "tags"),
        ("a tag missing", sync().replace("arch=amd64,", ""), None, False,
         400, "tags"),
        ("an extra tag", sync().replace("arch=amd64,", "arch=amd64,x=y,"),
         None, False, 400, "tags"),
        ("unknown measurement", sync().replace("netbird_sync,",
                                               "netbird_cpu,"), None, False,
         400, "unknown measurement"),
        ("value 90000", sync(value="90000"), None, False, 400, "too large"),
        ("value -1", sync(value="-1"), None, False, 400, "negative"),
        ("value NaN", sync(value="NaN"), None, False, 400, "bad value"),
        ("value 1,5", sync(value="1,5"), None, False, 400, "fields"),
        ("unsorted fields", conn(fields="total_seconds=1,"
                                 "connection_to_wg_handshake_seconds=0,"
                                 "signaling_to_connection_seconds=1"),
         None, False, 400, "fields"),
        ("a field missing", conn(fields="connection_to_wg_handshake_seconds"
                                 "=0,total_seconds=1"), None, False, 400,
         "fields"),
        ("unknown field", sync().replace("duration_seconds",
                                         "latency_seconds"), None, False,
         400, "fields"),
        ("ms timestamp", sync(stamp=now_ns() // 10**6), None, False, 400,
         "timestamp"),
        ("timestamp 25 h old", sync(stamp=late), None, False, 400,
         "timestamp"),
        ("timestamp 1.5", sync().rsplit(" ", 1)[0] + " 1.5\n", None, False,
         400, "timestamp"),
        ("tag value of 65", sync().replace("os=linux", "os=" + "l" * 65),
         None, False, 400, "too long"),
        ("empty tag value", sync().replace("os=linux", "os="), None, False,
         400, "bad tag value"),
        ("connection_type p2p", conn("p2p"), None, False, 400, "not one of"),
        ("phase unknown", phase("nap"), None, False, 400, "not one of"),
        ("result maybe", login("maybe"), None, False, 400, "not one of"),
        ("deployment_type saas", sync().replace("selfhosted", "saas"), None,
         False, 400, "not one of"),
        ("no newline at the end", sync().rstrip("\n"), None, False, 400,
         "newline"),
        ("an empty line", sync() + "\n" + sync(), None, False, 400,
         "not measurement"),
        ("CRLF lines", sync().replace("\n", "\r\n"), None, False, 400,
         "timestamp"),
        ("two spaces", sync().replace(" duration", "  duration"), None,
         False, 400, "not measurement"),
        ("empty body", "", None, False, 400, "no lines"),
        ("not UTF-8", gzip.compress(b"\xff\xfe\n"), None, True, 400,
         "UTF-8"),
        ("one bad line of three", sync() + sync(value="1e6") + sync(),
         None, False, 400, "line 2"),
    ]
    for what, body, headers, raw, want, reason in cases:
        status, text = srv.post(body, headers, raw=raw)
        check(status == want and reason in text,
              "hostile push, %s: %d with \"%s\" (%d %s)" %
              (what, want, reason, status, text.strip()[:100]))
    return len(cases)


def records(srv, nvalid, nhostile):
    pushes = srv.ctl_json("pushes")
    check(len(pushes) == nvalid + nhostile,
          "pushes: %d recorded" % (nvalid + nhostile))
    first = pushes[0]
    check(first["path"] == "/ingest" and first["valid"] is True and
          first["status"] == 204 and first["errors"] == [] and
          first["headers"].get("X-Peer-ID") == PEER and
          len(first["lines"]) == 1 and
          first["lines"][0].startswith("netbird_sync,"),
          "pushes: path, headers, lines and verdict of the first")
    check(pushes[1]["lines"][3].startswith("netbird_peer_connection,"),
          "pushes: the lines of a push, in order")
    bad = pushes[nvalid]
    check(bad["valid"] is False and bad["status"] == 400 and bad["errors"]
          and bad["raw_len"] > 0, "pushes: a refused push is recorded")
    code, reply = srv.ctl("raw", nvalid)
    check(code == 0 and json.loads(reply) != "", "raw: a push's raw body")
    code, reply = srv.ctl("raw", 100000)
    check(code == 1 and reply.startswith("error:"), "raw: no such push")
    st = srv.ctl_json("stats")
    check(st["received"] == nvalid and st["invalid"] == nhostile and
          st["failed"] == 0, "stats: %d received, %d invalid" %
          (nvalid, nhostile))
    check(srv.ctl_json("received") == nvalid, "received: %d" % nvalid)


def failure_mode(srv):
    check(srv.ctl("fail", 2) == (0, "ok"), "fail 2: ok")
    s1, _ = srv.post(sync())
    s2, _ = srv.post(sync())
    s3, _ = srv.post(sync())
    check((s1, s2, s3) == (503, 503, 204),
          "fail 2: two pushes 503, then 204 (%d %d %d)" % (s1, s2, s3))
    st = srv.ctl_json("stats")
    check(st["failed"] == 2 and st["fail_pending"] == 0,
          "fail: counted as failed, not received")
    pushes = srv.ctl_json("pushes")
    check(pushes[-3]["valid"] is None and pushes[-3]["status"] == 503 and
          pushes[-1]["valid"] is True, "fail: recorded with valid null")
    check(srv.ctl("fail", "x")[0] == 1, "fail x: an error")


def remote_config(srv):
    status, body, ctype = srv.get("/config")
    cfg = json.loads(body)
    check(status == 200 and ctype == "application/json" and cfg == {
        "server_url": "http://127.0.0.1:%d/ingest" % srv.port,
        "version-since": "0.0.0", "version-until": "99.0.0",
        "period_minutes": 1}, "config: the default (%s)" % body.decode())
    check(srv.ctl("set_config", json.dumps(
        {"version-since": "0.2.0", "period_minutes": 7})) == (0, "ok"),
        "set_config: two fields")
    cfg = json.loads(srv.get("/config")[1])
    check(cfg["version-since"] == "0.2.0" and cfg["period_minutes"] == 7
          and cfg["version-until"] == "99.0.0", "config: fields changed")
    srv.ctl("set_config", json.dumps({"period_minutes": None}))
    cfg = json.loads(srv.get("/config")[1])
    check("period_minutes" not in cfg, "config: a field removed (null)")
    srv.ctl("set_config", json.dumps({"status": 500}))
    status, body, _ = srv.get("/config")
    check(status == 500, "config: status 500 (%d)" % status)
    srv.ctl("set_config", json.dumps({"status": 200,
                                      "raw": "{\"server_url\": \"http"}))
    status, body, _ = srv.get("/config")
    check(status == 200 and body == b"{\"server_url\": \"http",
          "config: a broken body, verbatim")
    srv.ctl("set_config", json.dumps({"default": True}))
    cfg = json.loads(srv.get("/config")[1])
    check(cfg["period_minutes"] == 1 and cfg["version-since"] == "0.0.0",
          "set_config default: back to the default")
    check(srv.ctl_json("config_requests") == 6, "config_requests: 6")
    code, reply = srv.ctl("set_config", "{\"nope\": 1}")
    check(code == 1 and "unknown keys" in reply, "set_config: unknown key")
    code, reply = srv.ctl("set_config", "{")
    check(code == 1 and "bad JSON" in reply, "set_config: bad JSON")
    code, reply = srv.ctl("frobnicate")
    check(code == 1 and "unknown command" in reply, "an unknown command")
    check(srv.get("/health")[0] == 200 and srv.get("/nope")[0] == 404,
          "/health 200, other GETs 404")
    check(srv.ctl("reset") == (0, "ok") and srv.ctl_json("stats") == {
        "config_requests": 0, "pushes": 0, "received": 0, "failed": 0,
        "invalid": 0, "fail_pending": 0}, "reset: all counters zero")


def keepalive(srv):
    """Two pushes on one HTTP/1.1 connection, as libcurl reuses it."""
    c = srv.conn()
    ok = True
    for _ in range(2):
        c.request("POST", "/ingest", body=gzip.compress(sync().encode()),
                  headers={"Content-Type": "text/plain; charset=utf-8",
                           "Content-Encoding": "gzip", "X-Peer-ID": PEER})
        r = c.getresponse()
        r.read()
        ok = ok and r.status == 204
    c.close()
    check(ok, "two pushes on one kept-alive connection")


def tls(tmp):
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    if shutil.which("openssl") is None:
        print("skip - TLS: no openssl")
        return
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", cert], capture_output=True)
    if r.returncode != 0:
        print("skip - TLS: openssl req failed")
        return
    srv = Ingest(tmp, (cert, key))
    try:
        check(srv.port > 0, "TLS: listening")
        cfg = json.loads(srv.get("/config")[1])
        check(cfg["server_url"] == "https://127.0.0.1:%d/ingest" % srv.port,
              "TLS: config served, server_url https")
        status, _ = srv.post(sync())
        check(status == 204, "TLS: a valid push, 204")
    finally:
        srv.stop()


def main():
    tmp = tempfile.mkdtemp()
    srv = Ingest(tmp)
    try:
        check(srv.port > 0, "listening on port %d" % srv.port)
        nvalid = valid_pushes(srv)
        nhostile = hostile_pushes(srv)
        records(srv, nvalid, nhostile)
        failure_mode(srv)
        remote_config(srv)
        keepalive(srv)
    finally:
        rc = srv.stop()
    check(rc == 0 and not os.path.exists(srv.sock),
          "SIGTERM: exit 0, control socket removed")
    tls(tmp)
    shutil.rmtree(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
