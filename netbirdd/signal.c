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
 * The signal process: the connection to the NetBird signal server,
 * through which peers exchange offers, answers and candidates.
 *
 * Management names the server (IMSG_MGMT_CONFIG).  One attempt: resolve
 * its name through the dns child, as mgmt does (server.c), then open
 * ConnectStream with our key in x-wiretrustee-peer-id and wait for the
 * server to answer x-wiretrustee-peer-registered.  The stream only
 * receives; every message out is a unary Send of its own
 * (signal_peer.c).  A stream that fails or ends is opened again after
 * NetBird's backoff (800 ms, x1.7, randomised, at most 10 s, back to the
 * start after a stream that registered).  The parent and ice hear every
 * change of state at once, the counters of dropped messages at most
 * once a second.
 *
 * Watchdog: every 10 s while the stream is up; after 30 s without any
 * message a HEARTBEAT goes to ourselves through the server, and if
 * nothing at all comes within 10 s of it the stream is taken as stalled
 * and opened again.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "grpc.h"
#include "server.h"
#include "signal_peer.h"

#define SIG_HDR_PEER		"x-wiretrustee-peer-id"
#define SIG_HDR_REGISTERED	"x-wiretrustee-peer-registered"
#define SIG_DEFAULT_PORT	443	/* a URI without one, as gRPC */
#define SIG_MSG_MAX		(4 * 1024 * 1024)	/* gRPC's default */
#define SIG_BACKOFF_MS		800
#define SIG_BACKOFF_MAX_MS	10000
#define SIG_WATCH_MS		10000	/* receive watchdog tick */
#define SIG_SILENCE_MS		30000	/* nothing received: probe */
#define SIG_PROBE_MS		10000	/* nothing after the probe: stalled */
#define SIG_STATE_MS		1000	/* counters: one update a second */

enum sig_phase {
	PHASE_IDLE,		/* no server yet, or a bad one */
	PHASE_WAIT,		/* backoff before the next attempt */
	PHASE_RESOLVE,		/* the dns child has our query */
	PHASE_OPEN,		/* ConnectStream, not registered yet */
	PHASE_UP		/* registered: the stream delivers */
};

static void	 signal_preinit(void);
static void	 signal_init(void);
static void	 signal_configured(void);
static void	 signal_shutdown(void);
static void	 signal_dispatch_parent(struct imsgev *, struct imsg *);
static void	 signal_dispatch_dns(struct imsgev *, struct imsg *);
static void	 signal_dispatch_ice(struct imsgev *, struct imsg *);
static void	 sig_config(struct imsg *);
static void	 sig_start(void);
static void	 sig_connect(void);
static void	 stream_open(void);
static void	 stream_headers(struct grpc_call *, void *);
static void	 stream_message(struct grpc_call *, const uint8_t *, size_t,
		    void *);
static void	 stream_done(struct grpc_call *, int, const char *, void *);
static void	 stream_cancel(void);
static void	 sig_fail(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 sig_state(int, const char *);
static void	 sig_state_send(int, short, void *);
static void	 watch_tick(int, short, void *);

static const struct proc_child signal_proc = {
	.proc = PROC_SIGNAL,
	.dispatch = {
		[PROC_PARENT] = signal_dispatch_parent,
		[PROC_ICE] = signal_dispatch_ice,
		[PROC_DNS] = signal_dispatch_dns,
	},
	.preinit = signal_preinit,
	.init = signal_init,
	.configured = signal_configured,
	.shutdown = signal_shutdown,
};

static struct {
	enum sig_phase	 phase;
	char		 uri[CTL_URL_LEN];	/* as management gave it */
	int		 tls;
	char		 url[CTL_URL_LEN + 16];	/* scheme://host:port */
	struct server	 srv;
	char		 ourkey[KEY_B64_LEN + 1];
	struct grpc_call *stream;
	struct event	 watch;		/* receive watchdog */
	struct event	 state_ev;	/* counters to tell */
	struct backoff	 bo;
	int64_t		 last_rx;	/* ms, monotonic */
	int64_t		 probe_at;	/* the probe in flight, 0: none */
	int		 connected;	/* as last told */
	uint32_t	 dropped;
	uint32_t	 rejected;
	char		 error[CTL_MSG_LEN];
	struct server_whys whys;	/* logged in this outage */
} sig;

__dead void
signal_main(int debug, int verbose)
{
	proc_child_run(&signal_proc, debug, verbose);
}

/* Before the chroot and the filter: libsodium, libcurl, the CA bundle. */
static void
signal_preinit(void)
{
	void	*ca;
	size_t	 calen;

	if (sodium_init() == -1)
		fatalx("%s: sodium_init", __func__);
	server_ca_read(&ca, &calen);
	if (grpc_init(penv.evbase, ca, calen) == -1)
		fatalx("%s: grpc_init", __func__);
	free(ca);
}

static void
signal_init(void)
{
	server_init(&sig.srv, stream_open, sig_fail, sig_connect);
	event_set(&sig.watch, -1, EV_PERSIST, watch_tick, NULL);
	evtimer_set(&sig.state_ev, sig_state_send, NULL);
	backoff_init(&sig.bo, SIG_BACKOFF_MS, SIG_BACKOFF_MAX_MS,
	    BACKOFF_SERVER);
	sigpeer_init();
}

/* Our key is known from the first configuration on; it never changes. */
static void
signal_configured(void)
{
	if (sig.ourkey[0] != '\0')
		return;
	if (key_to_base64(penv.pubkey.key, sig.ourkey,
	    sizeof(sig.ourkey)) == -1)
		fatalx("%s: key_to_base64", __func__);
	sigpeer_self(penv.pubkey.key);
	if (sig.uri[0] != '\0')
		sig_start();
}

static void
signal_shutdown(void)
{
	stream_cancel();
	sigpeer_shutdown();
	grpc_shutdown();
}

static void
signal_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		sig_config(imsg);
		break;
	case IMSG_PEER_ADD:
		sigpeer_add(imsg, 0);
		break;
	case IMSG_PEER_UPDATE:
		sigpeer_add(imsg, 1);
		break;
	case IMSG_PEER_DEL:
		sigpeer_del(imsg);
		break;
	case IMSG_KEY_SHARED:
		sigpeer_key_shared(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
signal_dispatch_dns(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_DNS_ANSWER:
		server_dns_answer(&sig.srv, imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
signal_dispatch_ice(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_SIGNAL_SEND:
		sigpeer_send(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

int64_t
signal_now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/*
 * The server from management.  NetBird reads it at login only; mgmt
 * sends it again after every login, and another server than the one
 * in use is taken at once.
 */
static void
sig_config(struct imsg *imsg)
{
	struct nbd_netbird_config	 c;
	const char			*why;

	imsg_data_exact(imsg, &c, sizeof(c), __func__);
	if ((why = netbird_config_invalid(&c)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (strcmp(c.signal_uri, sig.uri) == 0 && c.signal_tls == sig.tls)
		return;
	if (sig.uri[0] != '\0')
		log_info("management names another signal server");
	stream_cancel();
	strlcpy(sig.uri, c.signal_uri, sizeof(sig.uri));
	sig.tls = c.signal_tls;
	if (sig.ourkey[0] != '\0')
		sig_start();
}

static void
sig_start(void)
{
	char	uri[CTL_URL_LEN];

	backoff_reset(&sig.bo);
	if (sig.uri[0] == '\0') {
		sig_state(0, "management names no signal server");
		return;
	}
	if (server_parse(&sig.srv, sig.uri, SIG_DEFAULT_PORT) == -1) {
		strlcpy(uri, sig.uri, sizeof(uri));
		server_printable(uri);
		sig_state(0, "management names a bad signal server");
		log_warnx("signal server \"%s\" from management: not "
		    "host:port", uri);
		return;
	}
	snprintf(sig.url, sizeof(sig.url), "%s://%s:%u", sig.tls ? "https" :
	    "http", sig.srv.host, sig.srv.port);
	log_info("signal server %s", sig.url);
	sig_connect();
}

/* One attempt, from the start: the name is resolved every time. */
static void
sig_connect(void)
{
	stream_cancel();
	sig.phase = PHASE_RESOLVE;
	server_resolve(&sig.srv);
}

/* Receive only: headers up, our key in them, never a message. */
static void
stream_open(void)
{
	struct grpc_metadata	md = { SIG_HDR_PEER, sig.ourkey };
	struct grpc_call_params	p;

	memset(&p, 0, sizeof(p));
	p.url = sig.url;
	p.path = SIGNAL_SERVICE "ConnectStream";
	p.kind = GRPC_BIDI;
	p.md = &md;
	p.nmd = 1;
	p.max_msg = SIG_MSG_MAX;
	p.on_headers = stream_headers;
	p.on_message = stream_message;
	p.on_done = stream_done;
	if ((sig.stream = grpc_call_start(&p)) == NULL) {
		sig_fail("ConnectStream: the call cannot start");
		return;
	}
	log_debug("ConnectStream");
	sig.phase = PHASE_OPEN;
}

/* Registered: NetBird wants the header before it takes the stream. */
static void
stream_headers(struct grpc_call *c, void *arg)
{
	struct timeval	tv = { SIG_WATCH_MS / 1000, 0 };

	(void)arg;
	if (grpc_call_header(c, SIG_HDR_REGISTERED) == NULL) {
		sig_fail("ConnectStream: the server did not register us");
		return;
	}
	sig.phase = PHASE_UP;
	sig.last_rx = signal_now_ms();
	sig.probe_at = 0;
	backoff_reset(&sig.bo);
	evtimer_add(&sig.watch, &tv);
	sig_state(1, "");
}

static void
stream_message(struct grpc_call *c, const uint8_t *buf, size_t len,
    void *arg)
{
	(void)c;
	(void)arg;
	sig.last_rx = signal_now_ms();
	sigpeer_recv(buf, len);
}

static void
stream_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	(void)c;
	(void)arg;
	sig.stream = NULL;
	if (code == GRPC_OK)
		sig_fail("ConnectStream: the server ended the stream");
	else
		sig_fail("ConnectStream: %s: %s", grpc_code_name(code), msg);
}

static void
stream_cancel(void)
{
	if (sig.stream != NULL) {
		grpc_call_cancel(sig.stream);
		sig.stream = NULL;
	}
	server_cancel(&sig.srv);
	evtimer_del(&sig.watch);
	sig.phase = PHASE_IDLE;
}

/* This attempt failed, or the stream broke: say why, try again later. */
static void
sig_fail(const char *fmt, ...)
{
	char		 msg[CTL_MSG_LEN];
	va_list		 ap;
	int		 ms;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	server_printable(msg);
	stream_cancel();
	sig_state(0, msg);
	ms = backoff_next(&sig.bo);
	log_debug("%s; next attempt in %d ms", msg, ms);
	sig.phase = PHASE_WAIT;
	server_wait(&sig.srv, ms);
}

/*
 * A change of state, told at once.  The log says each state once when
 * it is entered and, while down, each distinct reason once in an outage
 * (server_why_new()); the attempts that follow are debug lines.
 */
static void
sig_state(int connected, const char *err)
{
	if (connected == sig.connected && strcmp(err, sig.error) == 0)
		return;
	if (connected && !sig.connected) {
		log_info("connected to signal %s", sig.url);
		sig.whys.n = 0;
	} else if (!connected && sig.connected) {
		log_warnx("signal %s: %s; reconnecting", sig.url, err);
		server_why_new(&sig.whys, err);
	} else if (!connected && err[0] != '\0' &&
	    server_why_new(&sig.whys, err))
		log_warnx("signal %s: %s; retrying",
		    sig.url[0] ? sig.url : "server", err);
	sig.connected = connected;
	strlcpy(sig.error, err, sizeof(sig.error));
	evtimer_del(&sig.state_ev);
	sig_state_send(-1, 0, NULL);
}

/* A counter moved: told within SIG_STATE_MS, with whatever follows. */
void
signal_count(enum signal_counter which)
{
	struct timeval	tv = { 0, SIG_STATE_MS * 1000 };

	if (which == SIGNAL_DROPPED)
		sig.dropped++;
	else
		sig.rejected++;
	if (!evtimer_pending(&sig.state_ev, NULL))
		evtimer_add(&sig.state_ev, &tv);
}

static void
sig_state_send(int fd, short event, void *arg)
{
	struct nbd_signal_state	st;

	(void)fd;
	(void)event;
	(void)arg;
	memset(&st, 0, sizeof(st));
	st.connected = sig.connected;
	st.dropped = sig.dropped;
	st.rejected = sig.rejected;
	strlcpy(st.error, sig.error, sizeof(st.error));
	if (penv.iev[PROC_ICE] == NULL)
		fatalx("%s: no connection to ice", __func__);
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_SIGNAL_STATE, 0, 0, -1,
	    &st, sizeof(st)) == -1 ||
	    imsgev_compose(penv.iev[PROC_ICE], IMSG_SIGNAL_STATE, 0, 0, -1,
	    &st, sizeof(st)) == -1)
		fatal("%s: imsgev_compose", __func__);
}

/* The receive watchdog of NetBird's signal client. */
static void
watch_tick(int fd, short event, void *arg)
{
	int64_t	now = signal_now_ms();

	(void)fd;
	(void)event;
	(void)arg;
	if (sig.probe_at != 0) {
		if (sig.last_rx >= sig.probe_at)
			sig.probe_at = 0;
		else if (now - sig.probe_at >= SIG_PROBE_MS) {
			sig_fail("nothing received within %d s of a "
			    "heartbeat", SIG_PROBE_MS / 1000);
			return;
		} else
			return;
	}
	if (now - sig.last_rx >= SIG_SILENCE_MS) {
		log_debug("nothing received for %d s: heartbeat",
		    SIG_SILENCE_MS / 1000);
		sig.probe_at = now;
		sigpeer_probe();
	}
}

/* Messages go out only on a registered stream, as in NetBird. */
int
signal_is_up(void)
{
	return sig.phase == PHASE_UP;
}

const char *
signal_url(void)
{
	return sig.url;
}
