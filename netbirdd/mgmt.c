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
 * The mgmt process: the connection to the NetBird management server.
 *
 * One attempt is: resolve the server's name through the dns child (an
 * address literal needs none), GetServerKey, ask the parent for the
 * shared key when the server key changed, Login (first without the setup
 * key; with it when the server answers PermissionDenied), GetServerKey
 * again, then the Sync stream, kept open for as long as the server
 * keeps it.  Every SyncResponse is decrypted and handed to mgmt_map.c,
 * which sends the parent the merged NetbirdConfig and the network map.
 *
 * A failed attempt or a broken stream is retried with NetBird's
 * exponential backoff; the parent is only told the state, never to take
 * anything down, so the interface and its peers stay as they are.  An
 * invalid setup key, or a peer that needs an SSO login, stops the
 * attempts until a reload brings another setup key.
 */

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "box.h"
#include "grpc.h"
#include "mgmt.h"
#include "server.h"

#define MGMT_SERVICE		"/management.ManagementService/"
#define MGMT_KEY_MS		5000	/* GetServerKey deadline */
#define MGMT_LOGIN_MS		10000	/* Login deadline */
#define MGMT_MSG_MIN		(64 * 1024)
#define MGMT_MSG_MAX		(1024 * 1024 * 1024)

/* NetBird's backoffs: its login loop, and its Sync stream reconnects. */
#define LOGIN_BACKOFF_MS	1000
#define LOGIN_BACKOFF_MAX_MS	15000
#define SYNC_BACKOFF_MS		800
#define SYNC_BACKOFF_MAX_MS	10000

enum mgmt_phase {
	PHASE_IDLE,		/* not started, or stopped */
	PHASE_WAIT,		/* backoff before the next attempt */
	PHASE_RESOLVE,		/* the dns child has our query */
	PHASE_KEY,		/* GetServerKey */
	PHASE_SHARED,		/* the parent computes the shared key */
	PHASE_LOGIN,		/* Login */
	PHASE_SYNC		/* the Sync stream */
};

typedef void	(*mgmt_msg_cb)(struct grpc_call *, const uint8_t *, size_t,
		    void *);
typedef void	(*mgmt_done_cb)(struct grpc_call *, int, const char *,
		    void *);

static struct {
	enum mgmt_phase	 phase;
	int		 started;
	int		 stopped;	/* until a reload brings a new key */
	char		 url[NBD_URL_MAX];
	struct server	 srv;
	char		 setup_key[NBD_SETUPKEY_MAX];
	char		 ourkey[KEY_B64_LEN + 1];
	struct grpc_call *call;
	uint8_t		*reply;		/* the response of a unary call */
	size_t		 replylen;
	uint8_t		 server_key[KEY_LEN];
	int		 have_server_key;
	uint8_t		 shared[crypto_box_BEFORENMBYTES];
	int		 have_shared;
	int		 logged_in;
	int		 use_setup_key;	/* the next Login carries it */
	int		 login_setup_key; /* the Login in flight carries it */
	int		 synced;	/* this stream delivered a message */
	int64_t		 login_start;	/* monotonic ns; 0: no Login going */
	struct backoff	 login_bo;	/* until Login succeeds */
	struct backoff	 sync_bo;	/* Sync (re)connects */
	int32_t		 state;		/* enum ctl_mgmt_state, as sent */
	char		 error[CTL_MSG_LEN];
	struct server_whys whys;	/* logged in this outage */
	struct mgmt_sync sync;
} mgmt;

static struct mgmt_meta		 meta;
static struct mgmt_meta_pb	 metapb;
static size_t			 max_msg = GRPC_MAX_MSG_DEFAULT;

static void	 mgmt_preinit(void);
static void	 mgmt_init(void);
static void	 mgmt_configured(void);
static void	 mgmt_shutdown(void);
static void	 mgmt_dispatch_parent(struct imsgev *, struct imsg *);
static void	 mgmt_dispatch_dns(struct imsgev *, struct imsg *);
static void	 mgmt_read_max_msg(void);
static void	 mgmt_login_metric(int);
static int	 mgmt_url_parse(void);
static void	 mgmt_start(void);
static void	 mgmt_reset(void);
static void	 mgmt_connect(void);
static void	 mgmt_get_key(void);
static void	 mgmt_key_done(struct grpc_call *, int, const char *, void *);
static void	 mgmt_shared(const struct nbd_shared_key *);
static void	 mgmt_next(void);
static void	 mgmt_login(void);
static void	 mgmt_login_done(struct grpc_call *, int, const char *,
		    void *);
static void	 mgmt_login_denied(const char *);
static void	 mgmt_sync_start(void);
static void	 mgmt_sync_message(struct grpc_call *, const uint8_t *, size_t,
		    void *);
static void	 mgmt_sync_done(struct grpc_call *, int, const char *,
		    void *);
static int	 mgmt_call(const char *, enum grpc_call_kind,
		    const void *, size_t, int, mgmt_msg_cb, mgmt_done_cb);
static void	 mgmt_reply(struct grpc_call *, const uint8_t *, size_t,
		    void *);
static void	 mgmt_reply_free(void);
static void	 mgmt_cancel(void);
static uint8_t	*mgmt_seal(const ProtobufCMessage *, size_t *);
static uint8_t	*mgmt_open(const uint8_t *, size_t, size_t *, const char **);
static void	 mgmt_fail(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 mgmt_stop(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 mgmt_state(int, const char *);
static void	 mgmt_emit_parent(void *, uint32_t, const void *, size_t);
static void	 mgmt_flush(void);

static const struct proc_child mgmt_proc = {
	.proc = PROC_MGMT,
	.dispatch = {
		[PROC_PARENT] = mgmt_dispatch_parent,
		[PROC_DNS] = mgmt_dispatch_dns,
	},
	.preinit = mgmt_preinit,
	.init = mgmt_init,
	.configured = mgmt_configured,
	.shutdown = mgmt_shutdown,
};

__dead void
mgmt_main(int debug, int verbose)
{
	proc_child_run(&mgmt_proc, debug, verbose);
}

/*
 * Before the chroot and the seccomp filter: libsodium, libcurl and
 * OpenSSL initialised, the CA bundle in memory, the system facts.
 */
static void
mgmt_preinit(void)
{
	void	*ca = NULL;
	size_t	 calen = 0;

	if (sodium_init() == -1)
		fatalx("%s: sodium_init", __func__);
	server_ca_read(&ca, &calen);
	mgmt_read_max_msg();
	if (grpc_init(penv.evbase, ca, calen) == -1)
		fatalx("%s: grpc_init", __func__);
	free(ca);
	mgmt_meta_gather(&meta);
	mgmt_meta_pb(&metapb, &meta);
}

static void
mgmt_read_max_msg(void)
{
	const char	*v, *errstr;
	long long	 n;

	if ((v = getenv("NB_MANAGEMENT_GRPC_MAX_MSG_SIZE")) == NULL)
		return;
	n = strtonum(v, MGMT_MSG_MIN, MGMT_MSG_MAX, &errstr);
	if (errstr != NULL) {
		log_warnx("NB_MANAGEMENT_GRPC_MAX_MSG_SIZE %s: %s, using %d",
		    v, errstr, GRPC_MAX_MSG_DEFAULT);
		return;
	}
	max_msg = n;
}

static void
mgmt_init(void)
{
	server_init(&mgmt.srv, mgmt_get_key, mgmt_fail, mgmt_connect);
	backoff_init(&mgmt.login_bo, LOGIN_BACKOFF_MS, LOGIN_BACKOFF_MAX_MS,
	    BACKOFF_SERVER);
	backoff_init(&mgmt.sync_bo, SYNC_BACKOFF_MS, SYNC_BACKOFF_MAX_MS,
	    BACKOFF_SERVER);
}

/*
 * After each configuration.  The first starts the connection; a reload
 * with another management URL starts over; one with another setup key
 * ends a stop for a bad or missing setup key.
 */
static void
mgmt_configured(void)
{
	int	key_changed;

	key_changed = strcmp(penv.conf.setup_key, mgmt.setup_key) != 0;
	strlcpy(mgmt.setup_key, penv.conf.setup_key, sizeof(mgmt.setup_key));
	if (!mgmt.started) {
		mgmt_start();
		return;
	}
	if (strcmp(penv.conf.mgmt_url, mgmt.url) != 0) {
		log_info("management server is now %s", penv.conf.mgmt_url);
		mgmt_reset();
		mgmt_start();
		return;
	}
	if (!mgmt.stopped)
		return;
	if (!key_changed) {
		log_info("configuration reloaded with the same setup key: "
		    "no new login attempt");
		return;
	}
	log_info("new setup key: logging in again");
	mgmt.stopped = 0;
	backoff_reset(&mgmt.login_bo);
	mgmt_state(CTL_MGMT_CONNECTING, "");
	mgmt_connect();
}

static void
mgmt_shutdown(void)
{
	mgmt_cancel();
	sodium_memzero(mgmt.shared, sizeof(mgmt.shared));
	sodium_memzero(mgmt.setup_key, sizeof(mgmt.setup_key));
	sodium_memzero(&mgmt.sync.config, sizeof(mgmt.sync.config));
	grpc_shutdown();
}

static void
mgmt_start(void)
{
	strlcpy(mgmt.url, penv.conf.mgmt_url, sizeof(mgmt.url));
	if (mgmt_url_parse() == -1)
		fatalx("%s: bad management URL %s", __func__, mgmt.url);
	if (key_to_base64(penv.pubkey.key, mgmt.ourkey,
	    sizeof(mgmt.ourkey)) == -1)
		fatalx("%s: key_to_base64", __func__);
	mgmt_sync_init(&mgmt.sync, penv.pubkey.key);
	mgmt.started = 1;
	mgmt_state(CTL_MGMT_CONNECTING, "");
	mgmt_connect();
}

/* Forget the server: another one is configured. */
static void
mgmt_reset(void)
{
	mgmt_cancel();
	sodium_memzero(mgmt.shared, sizeof(mgmt.shared));
	mgmt.have_shared = 0;
	mgmt.have_server_key = 0;
	mgmt.logged_in = 0;
	mgmt.use_setup_key = 0;
	mgmt.stopped = 0;
	mgmt.started = 0;
	backoff_reset(&mgmt.login_bo);
	backoff_reset(&mgmt.sync_bo);
}

/* scheme://host:port as parse.y stores it; host may be [v6]. */
static int
mgmt_url_parse(void)
{
	const char	*p;

	if ((p = strstr(mgmt.url, "://")) == NULL)
		return -1;
	return server_parse(&mgmt.srv, p + 3, 0);
}

/* One attempt, from the start: the name is resolved every time. */
static void
mgmt_connect(void)
{
	mgmt_cancel();
	mgmt.phase = PHASE_RESOLVE;
	server_resolve(&mgmt.srv);
}

static void
mgmt_dispatch_dns(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_DNS_ANSWER:
		server_dns_answer(&mgmt.srv, imsg);
		break;
	default:
		fatalx("%s: unexpected %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)),
		    proc_names[iev->proc]);
	}
}

/* Before every Login and every Sync: the key changes with each restart. */
static void
mgmt_get_key(void)
{
	if (mgmt_call("GetServerKey", GRPC_UNARY, NULL, 0, MGMT_KEY_MS,
	    mgmt_reply, mgmt_key_done) == 0)
		mgmt.phase = PHASE_KEY;
}

static void
mgmt_key_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	Management__ServerKeyResponse	*r;
	uint8_t				 key[KEY_LEN];
	int				 bad;

	(void)c;
	(void)arg;
	mgmt.call = NULL;
	if (code != GRPC_OK) {
		mgmt_reply_free();
		mgmt_fail("GetServerKey: %s: %s", grpc_code_name(code), msg);
		return;
	}
	r = management__server_key_response__unpack(NULL, mgmt.replylen,
	    mgmt.reply);
	mgmt_reply_free();
	bad = r == NULL || r->key == NULL || key_from_base64(r->key, key) == -1;
	if (r != NULL)
		management__server_key_response__free_unpacked(r, NULL);
	if (bad) {
		mgmt_fail("GetServerKey: not a WireGuard key");
		return;
	}
	if (mgmt.have_shared && memcmp(key, mgmt.server_key, KEY_LEN) == 0) {
		mgmt_next();
		return;
	}
	/* A new server key: the old shared key is of no use any more. */
	if (mgmt.have_server_key)
		log_info("management server key changed");
	sodium_memzero(mgmt.shared, sizeof(mgmt.shared));
	mgmt.have_shared = 0;
	memcpy(mgmt.server_key, key, KEY_LEN);
	mgmt.have_server_key = 1;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_KEY_SHARED_REQ, 0, 0,
	    -1, mgmt.server_key, KEY_LEN) == -1)
		fatal("%s: imsgev_compose", __func__);
	mgmt.phase = PHASE_SHARED;
}

static void
mgmt_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_shared_key	sk;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_SHARED:
		imsg_data_exact(imsg, &sk, sizeof(sk), __func__);
		mgmt_shared(&sk);
		sodium_memzero(&sk, sizeof(sk));
		break;
	default:
		fatalx("%s: unexpected %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)),
		    proc_names[iev->proc]);
	}
}

/* An answer to an older request (the key changed again) is dropped. */
static void
mgmt_shared(const struct nbd_shared_key *sk)
{
	if (mgmt.phase != PHASE_SHARED ||
	    memcmp(sk->remote, mgmt.server_key, KEY_LEN) != 0) {
		log_debug("shared key for another server key: dropped");
		return;
	}
	/* All zero: the parent found no shared secret for that key. */
	if (sodium_is_zero(sk->shared, sizeof(sk->shared))) {
		mgmt_fail("GetServerKey: the server key gives no shared "
		    "secret");
		return;
	}
	memcpy(mgmt.shared, sk->shared, sizeof(mgmt.shared));
	mgmt.have_shared = 1;
	mgmt_next();
}

static void
mgmt_next(void)
{
	if (mgmt.logged_in)
		mgmt_sync_start();
	else
		mgmt_login();
}

static void
mgmt_login(void)
{
	Management__LoginRequest	 req;
	Management__PeerKeys		 keys;
	uint8_t				*msg;
	size_t				 len;

	management__login_request__init(&req);
	management__peer_keys__init(&keys);
	keys.wgpubkey.data = (uint8_t *)mgmt.ourkey;
	keys.wgpubkey.len = strlen(mgmt.ourkey);
	req.peerkeys = &keys;
	req.meta = &metapb.meta;
	mgmt.login_setup_key = mgmt.use_setup_key && mgmt.setup_key[0] != '\0';
	if (mgmt.login_start == 0)
		mgmt.login_start = clock_ns(CLOCK_MONOTONIC);
	if (mgmt.login_setup_key)
		req.setupkey = mgmt.setup_key;
	msg = mgmt_seal(&req.base, &len);
	if (mgmt_call("Login", GRPC_UNARY, msg, len, MGMT_LOGIN_MS,
	    mgmt_reply, mgmt_login_done) == 0)
		mgmt.phase = PHASE_LOGIN;
	freezero(msg, len);
}

static void
mgmt_login_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	Management__LoginResponse	*lr;
	struct nbd_sync_done		 done;
	const struct nbd_prefix		*a;
	uint8_t				*plain;
	size_t				 plen;
	const char			*why;
	char				 addr[INET6_ADDRSTRLEN];
	int				 rv;

	(void)c;
	(void)arg;
	mgmt.call = NULL;
	if (code != GRPC_OK) {
		mgmt_reply_free();
		if (code != GRPC_PERMISSION_DENIED || mgmt.login_setup_key ||
		    mgmt.setup_key[0] == '\0')
			mgmt_login_metric(0);
		if (code == GRPC_PERMISSION_DENIED)
			mgmt_login_denied(msg);
		else if (code == GRPC_NOT_FOUND && mgmt.login_setup_key)
			mgmt_stop(CTL_MGMT_LOGIN_FAILED, "the setup key is "
			    "invalid, expired, revoked or used up (%s): "
			    "put a valid setup-key in the configuration and "
			    "reload", msg);
		else
			mgmt_fail("Login: %s: %s", grpc_code_name(code), msg);
		return;
	}
	plain = mgmt_open(mgmt.reply, mgmt.replylen, &plen, &why);
	mgmt_reply_free();
	if (plain == NULL) {
		mgmt_login_metric(0);
		mgmt_fail("Login: response %s", why);
		return;
	}
	lr = management__login_response__unpack(NULL, plen, plain);
	freezero(plain, plen + 1);
	if (lr == NULL) {
		mgmt_login_metric(0);
		mgmt_fail("Login: response is not a LoginResponse");
		return;
	}
	rv = mgmt_login_apply(&mgmt.sync, lr, mgmt_emit_parent, NULL);
	memset(&done, 0, sizeof(done));
	mgmt_emit_parent(NULL, IMSG_MGMT_SYNC_DONE, &done, sizeof(done));
	mgmt_flush();
	management__login_response__free_unpacked(lr, NULL);
	mgmt_login_metric(rv == MGMT_APPLY_OK);
	if (rv != MGMT_APPLY_OK) {
		mgmt_fail("Login: unusable response");
		return;
	}
	a = &mgmt.sync.self.address;
	inet_ntop(a->af, a->addr, addr, sizeof(addr));
	log_info("%s as %s, %s/%u", mgmt.login_setup_key ?
	    "registered with the setup key" : "logged in",
	    mgmt.sync.self.fqdn[0] ? mgmt.sync.self.fqdn : "(no name)", addr,
	    a->plen);
	mgmt.logged_in = 1;
	mgmt.use_setup_key = 0;
	backoff_reset(&mgmt.login_bo);
	mgmt_get_key();
}

/*
 * PermissionDenied: NetBird's "register first".  With a setup key we
 * register; without one, or when the server refuses even then, the peer
 * needs what netbirdd cannot do (SSO), or a setup key.
 */
static void
mgmt_login_denied(const char *msg)
{
	if (!mgmt.login_setup_key && mgmt.setup_key[0] != '\0') {
		log_debug("Login: %s: registering with the setup key", msg);
		mgmt.use_setup_key = 1;
		mgmt_get_key();
		return;
	}
	if (mgmt.login_setup_key || strstr(msg, "expired") != NULL)
		mgmt_stop(CTL_MGMT_NEEDS_LOGIN, "management requires an SSO "
		    "login for this peer (%s): SSO login is not supported by "
		    "netbirdd", msg);
	else
		mgmt_stop(CTL_MGMT_NEEDS_LOGIN, "this peer is not registered "
		    "and no setup key is configured: add setup-key to the "
		    "configuration and reload");
}

static void
mgmt_sync_start(void)
{
	Management__SyncRequest	 req;
	uint8_t			*msg;
	size_t			 len;

	management__sync_request__init(&req);
	req.meta = &metapb.meta;
	msg = mgmt_seal(&req.base, &len);
	mgmt.synced = 0;
	if (mgmt_call("Sync", GRPC_SERVER_STREAM, msg, len, 0,
	    mgmt_sync_message, mgmt_sync_done) == 0)
		mgmt.phase = PHASE_SYNC;
	free(msg);
}

/*
 * One SyncResponse.  A message that does not decrypt ends the stream, as
 * in NetBird; one that decrypts but is refused is logged and skipped.
 */
static void
mgmt_sync_message(struct grpc_call *c, const uint8_t *m, size_t len,
    void *arg)
{
	Management__SyncResponse	*sr;
	struct nbd_sync_done		 done;
	uint8_t				*plain;
	size_t				 plen;
	const char			*why;

	(void)c;
	(void)arg;
	done.received = clock_ns(CLOCK_MONOTONIC);
	if ((plain = mgmt_open(m, len, &plen, &why)) == NULL) {
		mgmt_fail("Sync: message %s", why);
		return;
	}
	sr = management__sync_response__unpack(NULL, plen, plain);
	freezero(plain, plen + 1);
	if (sr == NULL) {
		mgmt_fail("Sync: message is not a SyncResponse");
		return;
	}
	if (!mgmt.synced) {
		mgmt.synced = 1;
		backoff_reset(&mgmt.sync_bo);
		mgmt_state(CTL_MGMT_CONNECTED, "");
	}
	done.decoded = clock_ns(CLOCK_MONOTONIC);
	mgmt_sync_apply(&mgmt.sync, sr, mgmt_emit_parent, NULL);
	mgmt_emit_parent(NULL, IMSG_MGMT_SYNC_DONE, &done, sizeof(done));
	mgmt_flush();
	management__sync_response__free_unpacked(sr, NULL);
}

static void
mgmt_sync_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	(void)c;
	(void)arg;
	mgmt.call = NULL;
	if (code == GRPC_PERMISSION_DENIED) {
		/* Deleted, or its login expired: log in again. */
		mgmt.logged_in = 0;
		mgmt_fail("Sync: %s: %s", grpc_code_name(code), msg);
	} else if (code == GRPC_OK)
		mgmt_fail("Sync: the server ended the stream");
	else
		mgmt_fail("Sync: %s: %s", grpc_code_name(code), msg);
}

static int
mgmt_call(const char *method, enum grpc_call_kind kind, const void *msg,
    size_t len, int timeout_ms, mgmt_msg_cb on_message, mgmt_done_cb on_done)
{
	struct grpc_call_params	p;
	char			path[64];

	snprintf(path, sizeof(path), "%s%s", MGMT_SERVICE, method);
	memset(&p, 0, sizeof(p));
	p.url = mgmt.url;
	p.path = path;
	p.kind = kind;
	p.msg = msg;
	p.msglen = len;
	p.max_msg = max_msg;
	p.timeout_ms = timeout_ms;
	p.on_message = on_message;
	p.on_done = on_done;
	mgmt_reply_free();
	if ((mgmt.call = grpc_call_start(&p)) == NULL) {
		mgmt_fail("%s: the call cannot start", method);
		return -1;
	}
	log_debug("%s", method);
	return 0;
}

/* A unary response, kept until on_done. */
static void
mgmt_reply(struct grpc_call *c, const uint8_t *m, size_t len, void *arg)
{
	(void)c;
	(void)arg;
	mgmt_reply_free();
	if ((mgmt.reply = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(mgmt.reply, m, len);
	mgmt.replylen = len;
}

static void
mgmt_reply_free(void)
{
	free(mgmt.reply);
	mgmt.reply = NULL;
	mgmt.replylen = 0;
}

static void
mgmt_cancel(void)
{
	if (mgmt.call != NULL) {
		grpc_call_cancel(mgmt.call);
		mgmt.call = NULL;
	}
	mgmt_reply_free();
	server_cancel(&mgmt.srv);
	mgmt.phase = PHASE_IDLE;
}

/*
 * EncryptedMessage{our key, nonce || crypto_box(m)}, serialised.  The
 * shared key stands for our private key and the server's public key.
 */
static uint8_t *
mgmt_seal(const ProtobufCMessage *m, size_t *outlen)
{
	Management__EncryptedMessage	 em;
	uint8_t				*body, *out;
	size_t				 blen;

	if (!mgmt.have_shared)
		fatalx("%s: no shared key", __func__);
	body = box_seal(mgmt.shared, m, &blen);
	management__encrypted_message__init(&em);
	em.wgpubkey = mgmt.ourkey;
	em.body.data = body;
	em.body.len = blen;
	*outlen = management__encrypted_message__get_packed_size(&em);
	if ((out = malloc(*outlen)) == NULL)
		fatal("%s", __func__);
	management__encrypted_message__pack(&em, out);
	free(body);
	return out;
}

/*
 * The plaintext of an EncryptedMessage from management, decrypted with
 * the key of GetServerKey (not the wgPubKey the message names); free it
 * with freezero(p, *plen + 1).
 */
static uint8_t *
mgmt_open(const uint8_t *msg, size_t len, size_t *plen, const char **why)
{
	Management__EncryptedMessage	*em;
	uint8_t				*out;

	if ((em = management__encrypted_message__unpack(NULL, len,
	    msg)) == NULL) {
		*why = "is not an EncryptedMessage";
		return NULL;
	}
	out = box_open(mgmt.shared, em->body.data, em->body.len, plen, why);
	management__encrypted_message__free_unpacked(em, NULL);
	return out;
}

/* This attempt failed: say why, try again after the backoff. */
static void
mgmt_fail(const char *fmt, ...)
{
	char		 msg[CTL_MSG_LEN];
	va_list		 ap;
	int		 ms;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	server_printable(msg);
	mgmt_cancel();
	mgmt_state(CTL_MGMT_CONNECTING, msg);
	ms = backoff_next(mgmt.logged_in ? &mgmt.sync_bo : &mgmt.login_bo);
	log_debug("%s; next attempt in %d ms", msg, ms);
	mgmt.phase = PHASE_WAIT;
	server_wait(&mgmt.srv, ms);
}

/* No more attempts until a reload brings another setup key. */
static void
mgmt_stop(int state, const char *fmt, ...)
{
	char	msg[CTL_MSG_LEN];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	server_printable(msg);
	mgmt_cancel();
	mgmt.stopped = 1;
	mgmt.use_setup_key = 0;
	mgmt_state(state, msg);
}

/*
 * Tell the parent every change.  The log says each state once when it
 * is entered and, while connecting, each distinct reason once in an
 * outage (server_why_new()); the attempts that follow are debug lines.
 */
static void
mgmt_state(int state, const char *err)
{
	struct nbd_mgmt_state	st;
	int			first_error;

	if (state == mgmt.state && strcmp(err, mgmt.error) == 0)
		return;
	first_error = state == mgmt.state && mgmt.error[0] == '\0' &&
	    err[0] != '\0';
	if (state == CTL_MGMT_CONNECTING && err[0] != '\0') {
		if (server_why_new(&mgmt.whys, err))
			log_warnx("management %s: %s; retrying", mgmt.url,
			    err);
	} else if (state != mgmt.state || first_error) {
		switch (state) {
		case CTL_MGMT_CONNECTING:
			log_info("connecting to management %s", mgmt.url);
			break;
		case CTL_MGMT_CONNECTED:
			log_info("connected to management %s", mgmt.url);
			mgmt.whys.n = 0;
			break;
		default:
			log_warnx("management %s: %s", mgmt.url, err);
			break;
		}
	}
	mgmt.state = state;
	strlcpy(mgmt.error, err, sizeof(mgmt.error));
	memset(&st, 0, sizeof(st));
	st.state = state;
	strlcpy(st.error, err, sizeof(st.error));
	mgmt_emit_parent(NULL, IMSG_MGMT_STATE, &st, sizeof(st));
	mgmt_flush();
}

/*
 * A Login attempt ended (protocol.md 7.2).  A refusal that makes us
 * register with the setup key is part of the same attempt, which may
 * last through an outage: its duration runs on the monotonic clock, so
 * that a wall clock set back meanwhile cannot make it negative.
 */
static void
mgmt_login_metric(int success)
{
	struct nbd_metric_login	m;

	if (mgmt.login_start == 0 || penv.iev[PROC_METRICS] == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.when = clock_ns(CLOCK_REALTIME);
	m.duration = clock_ns(CLOCK_MONOTONIC) - mgmt.login_start;
	m.success = success;
	mgmt.login_start = 0;
	if (imsgev_compose(penv.iev[PROC_METRICS], IMSG_METRIC_LOGIN, 0, 0, -1,
	    &m, sizeof(m)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/*
 * Queued only: a map is thousands of messages, and imsgev_compose()
 * would re-arm the event for each.  mgmt_flush() arms it once.
 */
static void
mgmt_emit_parent(void *arg, uint32_t type, const void *data, size_t len)
{
	(void)arg;
	if (imsg_compose(&penv.iev[PROC_PARENT]->ibuf, type, 0, 0, -1, data,
	    len) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
mgmt_flush(void)
{
	imsgev_add(penv.iev[PROC_PARENT]);
}
