/*
 * Copyright (c) 2026 The netbirdd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * Drives netbirdd/grpc.c against regress/fixtures/mgmt_server.py: real
 * management calls (GetServerKey, Login with a setup key, Sync) with
 * protobuf-c messages and libsodium boxes, then the failure cases.
 * Steers the server through its control socket.  One "ok"/"not ok" line
 * per check.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event.h>
#include <sodium.h>

#include "compat.h"
#include "key.h"
#include "log.h"
#include "grpc.h"
#include "management.pb-c.h"

#define MAXMSG		8
#define MGMT		"/management.ManagementService/"
#define WAIT_MS		10000

struct result {
	int		 done;
	int		 code;
	char		 msg[GRPC_MAX_MESSAGE_TEXT];
	int		 headers;
	char		 registered[16];
	char		 echo_id[64];
	size_t		 nmsg;
	uint8_t		*m[MAXMSG];
	size_t		 mlen[MAXMSG];
	size_t		 bigmsg;	/* length of a message not kept */
	struct grpc_call *call;
};

static struct event_base *base;
static const char	*label = "";
static const char	*url;
static const char	*raw_url;
static const char	*ctlpath;
static const char	*setup_key;
static uint8_t		 my_pk[KEY_LEN], my_sk[KEY_LEN];
static char		 my_key[KEY_B64_LEN + 1];
static uint8_t		 srv_pk[KEY_LEN];
static int		 failed;
static int		 headers_timeout;

static void	 check(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 on_headers(struct grpc_call *, void *);
static void	 on_message(struct grpc_call *, const uint8_t *, size_t,
		    void *);
static void	 on_done(struct grpc_call *, int, const char *, void *);
static void	 tick(int, short, void *);
static int	 wait_until(struct result *, size_t, int);
static void	 result_free(struct result *);
static int	 start(struct result *, const char *, const char *,
		    enum grpc_call_kind, const void *, size_t, int);
static int	 call(struct result *, const char *, const char *,
		    const void *, size_t, int);
static char	*ctl(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 json_str(const char *, const char *, char *, size_t);
static long	 json_num(const char *, const char *);
static int	 get_server_key(void);
static uint8_t	*seal(const ProtobufCMessage *, size_t *);
static uint8_t	*open_box(const uint8_t *, size_t, size_t *);
static uint8_t	*envelope(const ProtobufCMessage *, size_t *);
static int	 login(const char *, struct result *, Management__LoginResponse **);
static Management__SyncResponse *sync_msg(struct result *, size_t);
static int	 sync_start(struct result *);
static int	 has_peer(const Management__SyncResponse *, const char *);
static long	 now_ms(void);
static int	 thread_count(void);
static void	 fill_meta(Management__PeerSystemMeta *);
static void	 test_server_key(void);
static void	 test_login(void);
static void	 test_sync(void);
static void	 test_errors(void);
static void	 test_deadline(void);
static void	 test_oversize(void);
static void	 test_bidi(void);
static void	 test_one_connection(void);
static void	 test_restart(void);
static void	 test_raw(void);
static void	 test_dies(void);
static void	 test_keepalive(void);
static void	 test_bad_ca(void);
static __dead void usage(void);

static void
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - %s", ok ? "ok" : "not ok", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed = 1;
}

static void
on_headers(struct grpc_call *c, void *arg)
{
	struct result	*r = arg;
	const char	*v;

	r->headers++;
	if ((v = grpc_call_header(c, "x-wiretrustee-peer-registered")) != NULL)
		strlcpy(r->registered, v, sizeof(r->registered));
	if ((v = grpc_call_header(c, "x-echo-id")) != NULL)
		strlcpy(r->echo_id, v, sizeof(r->echo_id));
}

static void
on_message(struct grpc_call *c, const uint8_t *m, size_t len, void *arg)
{
	struct result	*r = arg;

	(void)c;
	if (r->nmsg < MAXMSG && len < 1024 * 1024) {
		if ((r->m[r->nmsg] = malloc(len + 1)) == NULL)
			abort();
		memcpy(r->m[r->nmsg], m, len);
		r->mlen[r->nmsg] = len;
	} else
		r->bigmsg = len;
	r->nmsg++;
}

static void
on_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	struct result	*r = arg;

	(void)c;
	r->done++;
	r->code = code;
	strlcpy(r->msg, msg, sizeof(r->msg));
	r->call = NULL;
}

static void
tick(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

/* Run the loop until the call is done or has nmsg messages. */
static int
wait_until(struct result *r, size_t nmsg, int ms)
{
	struct event	*t;
	struct timeval	 tv = { 0, 20000 };
	long		 end = now_ms() + ms;

	t = event_new(base, -1, EV_PERSIST, tick, NULL);
	evtimer_add(t, &tv);
	while (!r->done && (nmsg == 0 || r->nmsg < nmsg) && now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return r->done || (nmsg != 0 && r->nmsg >= nmsg);
}

static void
result_free(struct result *r)
{
	size_t	i;

	if (r->call != NULL)
		grpc_call_cancel(r->call);
	for (i = 0; i < r->nmsg && i < MAXMSG; i++)
		free(r->m[i]);
	memset(r, 0, sizeof(*r));
}

static int
start(struct result *r, const char *u, const char *method,
    enum grpc_call_kind kind, const void *msg, size_t len, int timeout)
{
	struct grpc_call_params	p;
	struct grpc_metadata	md = { "x-test-id", "drive-42" };
	char			path[128];

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	snprintf(path, sizeof(path), "%s%s", MGMT, method);
	p.url = u;
	p.path = path;
	p.kind = kind;
	p.msg = msg;
	p.msglen = len;
	p.md = &md;
	p.nmd = 1;
	p.timeout_ms = timeout;
	p.headers_timeout_ms = headers_timeout;
	p.on_headers = on_headers;
	p.on_message = on_message;
	p.on_done = on_done;
	p.arg = r;
	r->call = grpc_call_start(&p);
	return r->call != NULL;
}

/* A unary call run to its end. */
static int
call(struct result *r, const char *u, const char *method, const void *msg,
    size_t len, int timeout)
{
	if (!start(r, u, method, GRPC_UNARY, msg, len, timeout))
		return 0;
	return wait_until(r, 0, WAIT_MS);
}

/* One request on the control socket; the answer line, malloc'd. */
static char *
ctl(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 20, 0 };
	va_list			 ap;
	char			 req[4096], *ans;
	size_t			 n = 0, size = 1 << 16;
	ssize_t			 k;
	int			 s;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req) - 1, fmt, ap);
	va_end(ap);
	strlcat(req, "\n", sizeof(req));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, ctlpath, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("control socket %s", ctlpath);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(s, req, strlen(req)) != (ssize_t)strlen(req))
		fatal("control write");
	if ((ans = malloc(size)) == NULL)
		fatal(NULL);
	while (n < size - 1 && (k = read(s, ans + n, size - 1 - n)) > 0) {
		n += k;
		if (ans[n - 1] == '\n')
			break;
	}
	ans[n] = '\0';
	close(s);
	if (strstr(ans, "\"ok\": true") == NULL)
		log_warnx("control: %s -> %s", req, ans);
	return ans;
}

static int
json_str(const char *js, const char *name, char *out, size_t outlen)
{
	char		 pat[64];
	const char	*p, *q;

	snprintf(pat, sizeof(pat), "\"%s\": \"", name);
	if ((p = strstr(js, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= outlen)
		return -1;
	memcpy(out, p, q - p);
	out[q - p] = '\0';
	return 0;
}

static long
json_num(const char *js, const char *name)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\": ", name);
	if ((p = strstr(js, pat)) == NULL)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
thread_count(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* GetServerKey into srv_pk; 0 on success. */
static int
get_server_key(void)
{
	struct result			 r;
	Management__ServerKeyResponse	*k;
	int				 rc = -1;

	if (!call(&r, url, "GetServerKey", NULL, 0, 5000) ||
	    r.code != GRPC_OK || r.nmsg != 1)
		goto out;
	if ((k = management__server_key_response__unpack(NULL, r.mlen[0],
	    r.m[0])) == NULL)
		goto out;
	if (key_from_base64(k->key, srv_pk) == 0)
		rc = 0;
	management__server_key_response__free_unpacked(k, NULL);
 out:
	result_free(&r);
	return rc;
}

static uint8_t *
seal(const ProtobufCMessage *m, size_t *outlen)
{
	size_t	 plen = protobuf_c_message_get_packed_size(m);
	uint8_t	*plain, *out;

	if ((plain = malloc(plen + 1)) == NULL ||
	    (out = malloc(crypto_box_NONCEBYTES + crypto_box_MACBYTES +
	    plen)) == NULL)
		fatal(NULL);
	protobuf_c_message_pack(m, plain);
	randombytes_buf(out, crypto_box_NONCEBYTES);
	if (crypto_box_easy(out + crypto_box_NONCEBYTES, plain, plen, out,
	    srv_pk, my_sk) != 0)
		fatalx("crypto_box_easy");
	free(plain);
	*outlen = crypto_box_NONCEBYTES + crypto_box_MACBYTES + plen;
	return out;
}

static uint8_t *
open_box(const uint8_t *body, size_t len, size_t *outlen)
{
	uint8_t	*out;

	if (len < crypto_box_NONCEBYTES + crypto_box_MACBYTES)
		return NULL;
	*outlen = len - crypto_box_NONCEBYTES - crypto_box_MACBYTES;
	if ((out = malloc(*outlen + 1)) == NULL)
		fatal(NULL);
	if (crypto_box_open_easy(out, body + crypto_box_NONCEBYTES,
	    len - crypto_box_NONCEBYTES, body, srv_pk, my_sk) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* EncryptedMessage{our key, box(m)}, serialised. */
static uint8_t *
envelope(const ProtobufCMessage *m, size_t *outlen)
{
	Management__EncryptedMessage	 em;
	uint8_t				*body, *out;
	size_t				 blen;

	body = seal(m, &blen);
	management__encrypted_message__init(&em);
	em.wgpubkey = my_key;
	em.body.data = body;
	em.body.len = blen;
	*outlen = management__encrypted_message__get_packed_size(&em);
	if ((out = malloc(*outlen)) == NULL)
		fatal(NULL);
	management__encrypted_message__pack(&em, out);
	free(body);
	return out;
}

static void
fill_meta(Management__PeerSystemMeta *meta)
{
	management__peer_system_meta__init(meta);
	meta->hostname = "grpc-drive";
	meta->goos = "linux";
	meta->kernel = "Linux";
	meta->platform = "x86_64";
	meta->os = "Debian GNU/Linux";
	meta->netbirdversion = "0.77.1";
	meta->kernelversion = "6.1.0";
	meta->osversion = "12";
}

/*
 * Login with the given setup key (or none).  On success *resp is the
 * decrypted LoginResponse; r keeps the call's status either way.
 */
static int
login(const char *key, struct result *r, Management__LoginResponse **resp)
{
	Management__LoginRequest	 req;
	Management__PeerSystemMeta	 meta;
	Management__PeerKeys		 keys;
	Management__EncryptedMessage	*em;
	uint8_t				*msg, *plain;
	size_t				 len, plen;

	*resp = NULL;
	if (get_server_key() == -1)
		return -1;
	management__login_request__init(&req);
	management__peer_keys__init(&keys);
	fill_meta(&meta);
	keys.wgpubkey.data = (uint8_t *)my_key;
	keys.wgpubkey.len = strlen(my_key);
	req.meta = &meta;
	req.peerkeys = &keys;
	req.setupkey = (char *)(uintptr_t)(key ? key : "");
	msg = envelope(&req.base, &len);
	call(r, url, "Login", msg, len, 10000);
	free(msg);
	if (!r->done || r->code != GRPC_OK || r->nmsg != 1)
		return -1;
	if ((em = management__encrypted_message__unpack(NULL, r->mlen[0],
	    r->m[0])) == NULL)
		return -1;
	plain = open_box(em->body.data, em->body.len, &plen);
	management__encrypted_message__free_unpacked(em, NULL);
	if (plain == NULL)
		return -1;
	*resp = management__login_response__unpack(NULL, plen, plain);
	free(plain);
	return *resp ? 0 : -1;
}

/* Decrypt message i of a Sync stream. */
static Management__SyncResponse *
sync_msg(struct result *r, size_t i)
{
	Management__EncryptedMessage	*em;
	Management__SyncResponse	*s;
	uint8_t				*plain;
	size_t				 plen;

	if (i >= r->nmsg || i >= MAXMSG)
		return NULL;
	if ((em = management__encrypted_message__unpack(NULL, r->mlen[i],
	    r->m[i])) == NULL)
		return NULL;
	plain = open_box(em->body.data, em->body.len, &plen);
	management__encrypted_message__free_unpacked(em, NULL);
	if (plain == NULL)
		return NULL;
	s = management__sync_response__unpack(NULL, plen, plain);
	free(plain);
	return s;
}

static int
sync_start(struct result *r)
{
	Management__SyncRequest		 req;
	Management__PeerSystemMeta	 meta;
	uint8_t				*msg;
	size_t				 len;
	int				 ok;

	if (get_server_key() == -1)
		return 0;
	management__sync_request__init(&req);
	fill_meta(&meta);
	req.meta = &meta;
	msg = envelope(&req.base, &len);
	ok = start(r, url, "Sync", GRPC_SERVER_STREAM, msg, len, 0);
	free(msg);
	return ok;
}

static int
has_peer(const Management__SyncResponse *s, const char *key)
{
	size_t	i;

	if (s == NULL || s->networkmap == NULL)
		return 0;
	for (i = 0; i < s->networkmap->n_remotepeers; i++)
		if (strcmp(s->networkmap->remotepeers[i]->wgpubkey, key) == 0)
			return 1;
	return 0;
}

static void
test_server_key(void)
{
	struct result	 r;
	char		*st, key[64];
	char		 b64[KEY_B64_LEN + 1];
	int		 ok;

	ok = get_server_key() == 0;
	check(ok, "GetServerKey (unary) returns a 32-byte key");
	st = ctl("{\"cmd\": \"state\"}");
	key_to_base64(srv_pk, b64, sizeof(b64));
	check(ok && json_str(st, "server_key", key, sizeof(key)) == 0 &&
	    strcmp(key, b64) == 0, "it is the server's current key");
	free(st);
	call(&r, url, "isHealthy", NULL, 0, 5000);
	check(r.done && r.code == 0 && r.nmsg == 1 && r.mlen[0] == 0,
	    "isHealthy answers one empty message (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);
}

static void
test_login(void)
{
	struct result			 r;
	Management__LoginResponse	*lr;
	char				*st;

	login(NULL, &r, &lr);
	check(r.done && r.code == GRPC_PERMISSION_DENIED &&
	    strstr(r.msg, "no peer auth method provided") != NULL,
	    "Login of an unknown peer: PermissionDenied (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);

	login("11111111-2222-3333-4444-555555555555", &r, &lr);
	check(r.done && r.code == GRPC_NOT_FOUND &&
	    strcmp(r.msg, "couldn't add peer: setup key is invalid") == 0,
	    "Login with an unknown setup key: NotFound (%s)", r.msg);
	result_free(&r);

	free(ctl("{\"cmd\": \"add_setup_key\", \"key\": "
	    "\"0B3F8E61-0000-4000-8000-00000000DEAD\", \"expired\": true}"));
	login("0b3f8e61-0000-4000-8000-00000000dead", &r, &lr);
	check(r.done && r.code == GRPC_NOT_FOUND,
	    "Login with an expired setup key: NotFound");
	result_free(&r);

	login(setup_key, &r, &lr);
	check(lr != NULL, "Login with a valid setup key registers (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	check(lr != NULL && lr->peerconfig != NULL &&
	    strncmp(lr->peerconfig->address, "100.64.", 7) == 0 &&
	    strstr(lr->peerconfig->address, "/16") != NULL &&
	    strstr(lr->peerconfig->fqdn, "grpc-drive.") == lr->peerconfig->fqdn,
	    "LoginResponse decrypted: address %s, fqdn %s",
	    lr && lr->peerconfig ? lr->peerconfig->address : "-",
	    lr && lr->peerconfig ? lr->peerconfig->fqdn : "-");
	check(lr != NULL && lr->netbirdconfig != NULL &&
	    lr->netbirdconfig->signal != NULL &&
	    lr->netbirdconfig->signal->uri[0] != '\0',
	    "LoginResponse carries the signal server");
	if (lr)
		management__login_response__free_unpacked(lr, NULL);
	result_free(&r);

	login(NULL, &r, &lr);
	check(lr != NULL, "Login again without the setup key");
	if (lr)
		management__login_response__free_unpacked(lr, NULL);
	result_free(&r);

	st = ctl("{\"cmd\": \"state\"}");
	check(strstr(st, "\"hostname\": \"grpc-drive\"") != NULL &&
	    strstr(st, my_key) != NULL,
	    "the server decoded our meta and key");
	free(st);

	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"bad_ciphertext\"}"));
	login(NULL, &r, &lr);
	check(r.code == GRPC_OK && lr == NULL,
	    "a response with bad ciphertext does not decrypt");
	if (lr)
		management__login_response__free_unpacked(lr, NULL);
	result_free(&r);
	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}"));
}

static void
test_sync(void)
{
	struct result			 r;
	Management__SyncResponse	*s0 = NULL, *s1 = NULL, *s2 = NULL;
	const char			*k1 =
	    "Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5GE=";
	uint64_t			 serial = 0;
	char				*a;

	check(sync_start(&r), "Sync started");
	wait_until(&r, 1, WAIT_MS);
	s0 = sync_msg(&r, 0);
	check(s0 != NULL && s0->netbirdconfig != NULL &&
	    s0->networkmap != NULL && s0->networkmap->peerconfig != NULL &&
	    strncmp(s0->networkmap->peerconfig->address, "100.64.", 7) == 0,
	    "first SyncResponse: NetbirdConfig and NetworkMap");
	if (s0 && s0->networkmap)
		serial = s0->networkmap->serial;
	check(s0 != NULL && s0->netbirdconfig != NULL &&
	    s0->netbirdconfig->n_turns > 0 &&
	    s0->netbirdconfig->turns[0]->user[0] != '\0' &&
	    s0->netbirdconfig->relay != NULL &&
	    s0->netbirdconfig->relay->n_urls > 0,
	    "it carries TURN credentials and relay URLs");

	a = ctl("{\"cmd\": \"add_peer\", \"key\": \"%s\", \"name\": \"r1\"}",
	    k1);
	free(a);
	wait_until(&r, 2, WAIT_MS);
	s1 = sync_msg(&r, 1);
	check(s1 != NULL && s1->networkmap != NULL &&
	    s1->networkmap->serial > serial && has_peer(s1, k1) &&
	    s1->netbirdconfig == NULL,
	    "an added peer is pushed with a higher serial");

	a = ctl("{\"cmd\": \"remove_peer\", \"key\": \"%s\"}", k1);
	free(a);
	wait_until(&r, 3, WAIT_MS);
	s2 = sync_msg(&r, 2);
	check(s2 != NULL && !has_peer(s2, k1) &&
	    s2->networkmap->serial > s1->networkmap->serial,
	    "a removed peer disappears from the next map");
	check(!r.done, "the stream is still open");

	a = ctl("{\"cmd\": \"end_streams\"}");
	free(a);
	wait_until(&r, 0, WAIT_MS);
	check(r.done == 1 && r.code == GRPC_OK,
	    "a stream the server ends: on_done once, OK (%s)",
	    grpc_code_name(r.code));
	if (s0)
		management__sync_response__free_unpacked(s0, NULL);
	if (s1)
		management__sync_response__free_unpacked(s1, NULL);
	if (s2)
		management__sync_response__free_unpacked(s2, NULL);
	result_free(&r);

	/* Cancel: no callback afterwards, the server sees the stream go. */
	sync_start(&r);
	wait_until(&r, 1, WAIT_MS);
	grpc_call_cancel(r.call);
	r.call = NULL;
	a = ctl("{\"cmd\": \"bump_serial\"}");
	free(a);
	wait_until(&r, 2, 1000);
	check(r.done == 0 && r.nmsg == 1,
	    "a cancelled stream calls nothing back");
	result_free(&r);

	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"lower_serial\", "
	    "\"serial\": 0}"));
	sync_start(&r);
	wait_until(&r, 1, WAIT_MS);
	s0 = sync_msg(&r, 0);
	check(s0 && s0->networkmap && s0->networkmap->serial == 0,
	    "hostile lower_serial sends serial 0");
	if (s0)
		management__sync_response__free_unpacked(s0, NULL);
	result_free(&r);
	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}"));
}

static void
test_errors(void)
{
	struct result	 r;
	char		*a;

	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"error\", \"code\": 9, "
	    "\"message\": \"bad: 100%% \\u2713\\nnext\", "
	    "\"methods\": [\"GetServerKey\"]}");
	free(a);
	call(&r, url, "GetServerKey", NULL, 0, 5000);
	check(r.done && r.code == GRPC_FAILED_PRECONDITION &&
	    strcmp(r.msg, "bad: 100% \xe2\x9c\x93?next") == 0,
	    "error status with percent-encoded grpc-message (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);
	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}");
	free(a);

	/*
	 * The server refuses before reading the request; libcurl 7.88 may
	 * then lose its answer to the request body it still sends.
	 */
	call(&r, url, "NoSuchMethod", NULL, 0, 5000);
	check(r.done && (r.code == GRPC_UNIMPLEMENTED ||
	    (r.code == GRPC_UNAVAILABLE &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000)),
	    "an unknown method: Unimplemented, or Unavailable with libcurl "
	    "7.88 (%s: %s)", grpc_code_name(r.code), r.msg);
	result_free(&r);

	call(&r, url, "Login", "\x0a\x03xyz", 5, 5000);
	check(r.done && r.code == GRPC_INVALID_ARGUMENT,
	    "a bad envelope: InvalidArgument (%s)", r.msg);
	result_free(&r);
}

static void
test_deadline(void)
{
	struct result	 r;
	long		 t0, dt;
	char		*a;

	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"delay\", \"seconds\": 3, "
	    "\"methods\": [\"isHealthy\"]}");
	free(a);
	t0 = now_ms();
	call(&r, url, "isHealthy", NULL, 0, 500);
	dt = now_ms() - t0;
	check(r.done && r.code == GRPC_DEADLINE_EXCEEDED && dt >= 450 &&
	    dt < 2000, "a 500 ms deadline expires (%s after %ld ms)",
	    grpc_code_name(r.code), dt);
	result_free(&r);
	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}");
	free(a);
	call(&r, url, "isHealthy", NULL, 0, 5000);
	check(r.done && r.code == GRPC_OK,
	    "the connection works after an expired deadline");
	result_free(&r);
}

static void
test_oversize(void)
{
	struct result	 r;
	char		*a;

	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"oversize\", "
	    "\"size\": 15000000}");
	free(a);
	sync_start(&r);
	wait_until(&r, 1, WAIT_MS * 3);
	check(r.nmsg == 1 && r.bigmsg > 15000000 && !r.done,
	    "a 15 MB Sync message is under the 16 MiB maximum (%s)",
	    r.done ? r.msg : "open");
	result_free(&r);

	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"oversize\", "
	    "\"size\": 17000000}");
	free(a);
	sync_start(&r);
	wait_until(&r, 0, WAIT_MS * 3);
	check(r.done && r.code == GRPC_RESOURCE_EXHAUSTED && r.nmsg == 0,
	    "a 17 MB Sync message is refused (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);
	a = ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}");
	free(a);
}

/* Headers only, no half-close; then messages both ways. */
static void
test_bidi(void)
{
	struct result	r;

	start(&r, url, "Job", GRPC_BIDI, NULL, 0, 0);
	wait_until(&r, 1, WAIT_MS);
	check(r.headers == 1 && strcmp(r.registered, "1") == 0 &&
	    strcmp(r.echo_id, "drive-42") == 0,
	    "bidi: response headers arrive, request metadata went out");
	check(r.nmsg == 1 && r.mlen[0] == 5 && memcmp(r.m[0], "hello", 5) == 0
	    && !r.done, "bidi: receive-only stream gets a message, stays open");
	check(grpc_call_send(r.call, "ping", 4) == 0 &&
	    grpc_call_send(r.call, "", 0) == 0 &&
	    wait_until(&r, 3, WAIT_MS) && r.nmsg == 3 && r.mlen[1] == 4 &&
	    memcmp(r.m[1], "ping", 4) == 0 && r.mlen[2] == 0,
	    "bidi: messages sent on the stream come back");
	grpc_call_send(r.call, "bye", 3);
	wait_until(&r, 0, WAIT_MS);
	check(r.done == 1 && r.code == GRPC_OK && r.nmsg == 3,
	    "bidi: the server ends the stream while our side stays open "
	    "(%s: %s)", grpc_code_name(r.code), r.msg);
	result_free(&r);

	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"error\", \"code\": 5, "
	    "\"message\": \"gone\", \"methods\": [\"Job\"]}"));
	/* libcurl 7.88 drops this answer: the 1 s headers watchdog ends it. */
	headers_timeout = 1000;
	start(&r, url, "Job", GRPC_BIDI, NULL, 0, 0);
	headers_timeout = 0;
	wait_until(&r, 0, WAIT_MS);
	check(r.done == 1 && r.headers == 0 && ((r.code == GRPC_NOT_FOUND &&
	    strcmp(r.msg, "gone") == 0) || (r.code == GRPC_UNAVAILABLE &&
	    strcmp(r.msg, "no response headers") == 0 &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000)),
	    "bidi: a refused stream ends with its status, no on_headers "
	    "(%d %s: %s)", r.done, grpc_code_name(r.code), r.msg);
	result_free(&r);
	free(ctl("{\"cmd\": \"hostile\", \"mode\": \"none\"}"));
}

static void
test_one_connection(void)
{
	struct result	 r[3];
	char		*st;
	const char	*p;
	int		 i, n = 0;

	for (i = 0; i < 3; i++)
		start(&r[i], url, "isHealthy", GRPC_UNARY, NULL, 0, 5000);
	for (i = 0; i < 3; i++)
		wait_until(&r[i], 0, WAIT_MS);
	check(r[0].code == 0 && r[1].code == 0 && r[2].code == 0,
	    "three concurrent calls");
	for (i = 0; i < 3; i++)
		result_free(&r[i]);
	st = ctl("{\"cmd\": \"state\"}");
	if ((p = strstr(st, "\"conns\": [")) != NULL)
		for (p += 10; *p != ']' && *p != '\0'; p++)
			n += *p == ',';
	if (strncmp(url, "https:", 6) != 0 &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000)
		printf("skip - %sone HTTP/2 connection: libcurl %s cannot "
		    "reuse h2c connections (%d used)\n", label,
		    curl_version_info(CURLVERSION_NOW)->version, n + 1);
	else
		check(p != NULL && n == 0,
		    "every call so far shared one HTTP/2 connection (%d)",
		    n + 1);
	free(st);
}

static void
test_restart(void)
{
	struct result	 r;
	uint8_t		 old[KEY_LEN];
	char		*a;
	Management__LoginResponse *lr;

	get_server_key();
	memcpy(old, srv_pk, sizeof(old));
	sync_start(&r);
	wait_until(&r, 1, WAIT_MS);
	a = ctl("{\"cmd\": \"restart\"}");
	free(a);
	wait_until(&r, 0, WAIT_MS);
	check(r.done && r.code != GRPC_OK,
	    "restart: the open Sync stream fails (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);
	check(get_server_key() == 0 && memcmp(old, srv_pk, KEY_LEN) != 0,
	    "restart: a new connection, a new server key");
	login(NULL, &r, &lr);
	check(lr != NULL, "restart: Login with the new key");
	if (lr)
		management__login_response__free_unpacked(lr, NULL);
	result_free(&r);
}

struct raw_case {
	const char	*mode;
	int		 code;
	const char	*msg;
	size_t		 nmsg;
};

static void
test_raw(void)
{
	static const struct raw_case cases[] = {
		{ "ok", GRPC_OK, "", 1 },
		{ "split", GRPC_INTERNAL, "more than one response message", 1 },
		{ "truncated", GRPC_INTERNAL, "stream ended inside a message",
		    0 },
		{ "cut", GRPC_UNAVAILABLE, NULL, 0 },
		{ "no_status", GRPC_UNKNOWN,
		    "stream ended without grpc-status", 1 },
		{ "http503", GRPC_UNAVAILABLE, "HTTP status 503", 0 },
		{ "trailers_only", GRPC_PERMISSION_DENIED,
		    "denied: 100% \xe2\x9c\x93?", 0 },
		{ "compressed", GRPC_INTERNAL,
		    "compressed message without negotiated encoding", 0 },
		{ "bad_status", GRPC_UNKNOWN, "", 1 },
		{ "huge_length", GRPC_RESOURCE_EXHAUSTED, NULL, 0 },
		{ "two_messages", GRPC_INTERNAL,
		    "more than one response message", 1 },
		{ "html", GRPC_UNKNOWN, "response is not application/grpc", 0 },
		{ "rst", GRPC_UNAVAILABLE, NULL, 0 },
	};
	struct result	 r;
	size_t		 i;
	char		*a;

	if (raw_url == NULL)
		return;
	for (i = 0; i < nitems(cases); i++) {
		a = ctl("{\"cmd\": \"hostile\", \"raw\": \"%s\"}",
		    cases[i].mode);
		free(a);
		call(&r, raw_url, "GetServerKey", NULL, 0, 5000);
		check(r.done && r.code == cases[i].code &&
		    r.nmsg == cases[i].nmsg &&
		    (cases[i].msg == NULL || strcmp(r.msg, cases[i].msg) == 0),
		    "raw h2c %s: %s \"%s\", %zu messages", cases[i].mode,
		    grpc_code_name(r.code), r.msg, r.nmsg);
		result_free(&r);
	}
	/* The split case again as a stream: every message arrives. */
	a = ctl("{\"cmd\": \"hostile\", \"raw\": \"split\"}");
	free(a);
	start(&r, raw_url, "GetServerKey", GRPC_SERVER_STREAM, NULL, 0, 5000);
	wait_until(&r, 0, WAIT_MS);
	check(r.done && r.code == GRPC_OK && r.nmsg == 3 && r.mlen[1] == 0 &&
	    r.mlen[2] == 3, "raw h2c split: frames across DATA frames and "
	    "several in one, as a stream");
	result_free(&r);
	a = ctl("{\"cmd\": \"hostile\", \"raw\": \"silent\"}");
	free(a);
	call(&r, raw_url, "GetServerKey", NULL, 0, 300);
	check(r.done && r.code == GRPC_DEADLINE_EXCEEDED,
	    "raw h2c silent: the deadline ends it");
	result_free(&r);
}

static void
test_dies(void)
{
	struct result	 r, b;
	char		*st;
	long		 pid, t0;

	st = ctl("{\"cmd\": \"state\"}");
	pid = json_num(st, "pid");
	free(st);
	sync_start(&r);
	wait_until(&r, 1, WAIT_MS);
	start(&b, url, "Job", GRPC_BIDI, NULL, 0, 0);
	wait_until(&b, 1, WAIT_MS);
	check(r.nmsg == 1 && !r.done && b.nmsg == 1 && !b.done,
	    "Sync and a bidi stream open before the server dies");
	t0 = now_ms();
	if (pid > 1)
		kill(pid, SIGKILL);
	wait_until(&r, 0, WAIT_MS);
	check(r.done == 1 && r.code == GRPC_UNAVAILABLE,
	    "server killed mid-stream: on_done Unavailable after %ld ms (%s)",
	    now_ms() - t0, r.msg);
	wait_until(&b, 0, WAIT_MS);
	check(b.done == 1 && b.code == GRPC_UNAVAILABLE,
	    "and the bidi stream too, after %ld ms (%s)", now_ms() - t0,
	    b.msg);
	result_free(&r);
	result_free(&b);
}

/* The server pings every second and wants an answer within 2 s. */
static void
test_keepalive(void)
{
	struct result	 r;
	char		*a;

	sync_start(&r);
	wait_until(&r, 1, WAIT_MS);
	wait_until(&r, 2, 4500);
	check(r.nmsg == 1 && !r.done,
	    "a Sync stream idle for 4.5 s under server PINGs stays open");
	a = ctl("{\"cmd\": \"bump_serial\"}");
	free(a);
	wait_until(&r, 2, WAIT_MS);
	check(r.nmsg == 2 && !r.done, "and still delivers updates");
	result_free(&r);
}

/* Run alone: the server's certificate is not signed by our CA. */
static void
test_bad_ca(void)
{
	struct result	r;

	call(&r, url, "GetServerKey", NULL, 0, 5000);
	check(r.done && r.code == GRPC_UNAVAILABLE && r.nmsg == 0,
	    "a server certificate from another CA is refused (%s: %s)",
	    grpc_code_name(r.code), r.msg);
	result_free(&r);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: grpc_drive -u url -c control -k setupkey "
	    "[-BKx] [-a cafile] [-l label] [-r host:port:addr] [-R rawurl]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct grpc_call_params	 p;
	struct stat		 sb;
	char			*ca = NULL, host[256] = "", *c1, *c2;
	const char		*addr;
	FILE			*f;
	size_t			 calen = 0;
	int			 ch, die = 0, keepalive = 0, bad_ca = 0;

	log_init(1, 0);
	log_setverbose(0);
	while ((ch = getopt(argc, argv, "a:Bc:k:Kl:r:R:u:x")) != -1) {
		switch (ch) {
		case 'a':
			if ((f = fopen(optarg, "r")) == NULL ||
			    fstat(fileno(f), &sb) == -1 ||
			    (ca = malloc(sb.st_size)) == NULL ||
			    fread(ca, 1, sb.st_size, f) != (size_t)sb.st_size)
				fatal("%s", optarg);
			calen = sb.st_size;
			fclose(f);
			break;
		case 'B':
			bad_ca = 1;
			break;
		case 'c':
			ctlpath = optarg;
			break;
		case 'k':
			setup_key = optarg;
			break;
		case 'K':
			keepalive = 1;
			break;
		case 'l':
			label = optarg;
			break;
		case 'r':
			strlcpy(host, optarg, sizeof(host));
			break;
		case 'R':
			raw_url = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'x':
			die = 1;
			break;
		default:
			usage();
		}
	}
	if (url == NULL || ctlpath == NULL || setup_key == NULL)
		usage();
	if (sodium_init() == -1)
		fatalx("sodium_init");
	base = event_base_new();
	if (grpc_init(base, ca, calen) == -1)
		fatalx("grpc_init");
	free(ca);
	if (host[0] != '\0') {
		/* -r host:port:addr */
		c1 = strchr(host, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			usage();
		*c1++ = '\0';
		*c2++ = '\0';
		addr = c2;
		if (grpc_set_resolve(host, atoi(c1), &addr, 1) == -1)
			fatalx("grpc_set_resolve");
	}
	crypto_box_keypair(my_pk, my_sk);
	key_to_base64(my_pk, my_key, sizeof(my_key));

	if (bad_ca) {
		test_bad_ca();
		grpc_shutdown();
		return failed;
	}
	memset(&p, 0, sizeof(p));
	p.url = "http://unresolved.invalid:80";
	p.path = MGMT "isHealthy";
	check(grpc_call_start(&p) == NULL,
	    "a host without addresses is refused, never resolved");

	test_server_key();
	test_login();
	test_sync();
	test_errors();
	test_deadline();
	test_bidi();
	test_one_connection();
	test_oversize();
	test_restart();
	test_raw();
	if (keepalive)
		test_keepalive();
	check(thread_count() == 1, "no thread was ever left running (%d)",
	    thread_count());
	if (die)
		test_dies();
	grpc_shutdown();
	event_base_free(base);
	return failed;
}
