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
 * The metrics process (protocol.md 7): samples of connection, sync and
 * login timings from ice, the parent and mgmt, kept in a bounded store;
 * gauges of peers and memory; the store pushed as gzip line protocol to
 * NetBird's ingest server when push is on, and shown to netbirdctl.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event.h>
#include <event2/http.h>

#include "log.h"
#include "netbirdd.h"
#include "curlev.h"
#include "ctl_dump.h"
#include "grpc.h"
#include "metrics.h"
#include "metrics_push.h"
#include "server.h"

#define PUSH_TIMEOUT_MS		10000
#define PUSH_DEFAULT_S		(5 * 60)	/* no interval known */
#define PUSH_RCONF_MAX_AGE	(30 * 60)	/* remote config refresh */
#define PUSH_TRIM_S		60
#define PROM_TIMEOUT_S		10	/* a scrape client that stalls */
#define PROM_MAX_HEADERS	8192

enum xfer_kind {
	XFER_NONE,
	XFER_CONFIG,		/* GET the remote config */
	XFER_POST		/* POST samples */
};

static struct {
	struct curlev	 cv;
	struct server	 srv;
	void		*ca;
	size_t		 calen;
	CURL		*easy;
	struct curl_slist *hdrs;
	enum xfer_kind	 kind;
	char		 url[CTL_URL_LEN];	/* of the transfer */
	char		 body[RCONF_BODY_MAX + 1];	/* config answer */
	size_t		 bodylen;
	int		 toolong;
	uint8_t		*gz;
	size_t		 gzlen;
	size_t		 nsent;		/* samples in the POST */
	char		 errbuf[CURL_ERROR_SIZE];
	struct event	 tick;
	struct event	 trim;
	int		 on;		/* push is enabled */
	int		 failing;	/* the last push failed (logged) */
	struct rconf	 rc;
	time_t		 rc_time;	/* monotonic s; 0: none */
	int		 rc_failing;
} push;

static struct evhttp	*prom;		/* the Prometheus listener */
static struct ms_store	*store;
static struct ms_tags	 tags;
static int		 have_self;
static struct nbd_netbird_config nbconf;	/* from management */

static void	 metrics_preinit(void);
static void	 metrics_init(void);
static void	 metrics_configured(void);
static void	 metrics_dispatch_parent(struct imsgev *, struct imsg *);
static void	 metrics_dispatch_ice(struct imsgev *, struct imsg *);
static void	 metrics_dispatch_mgmt(struct imsgev *, struct imsg *);
static void	 metrics_dispatch_control(struct imsgev *, struct imsg *);
static void	 metrics_dispatch_dns(struct imsgev *, struct imsg *);
static void	 metrics_show(struct imsgev *, uint32_t, int);
static void	 metrics_self(const struct nbd_metric_self *);
static void	 prom_listen(struct imsg *);
static void	 prom_scrape(struct evhttp_request *, void *);
static void	 prom_other(struct evhttp_request *, void *);
static void	 trim_tick(int, short, void *);
static void	 push_update(void);
static int	 push_forced(void);
static void	 push_later(int);
static int	 push_interval(void);
static void	 push_tick(int, short, void *);
static void	 push_post(void);
static void	 push_start(enum xfer_kind, const char *);
static void	 push_resolved(void);
static void	 push_fail(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 push_easy(void);
static void	 push_action(void *, CURLMcode);
static void	 push_done(CURLcode);
static void	 push_config_done(CURLcode, long);
static void	 push_post_done(CURLcode, long);
static void	 push_end(void);
static size_t	 push_write(char *, size_t, size_t, void *);

static const struct proc_child metrics_proc = {
	.proc = PROC_METRICS,
	.dispatch = {
		[PROC_PARENT] = metrics_dispatch_parent,
		[PROC_ICE] = metrics_dispatch_ice,
		[PROC_MGMT] = metrics_dispatch_mgmt,
		[PROC_CONTROL] = metrics_dispatch_control,
		[PROC_DNS] = metrics_dispatch_dns,
	},
	.preinit = metrics_preinit,
	.init = metrics_init,
	.configured = metrics_configured,
};

__dead void
metrics_main(int debug, int verbose)
{
	proc_child_run(&metrics_proc, debug, verbose);
}

/*
 * Before the chroot and the filter: the CA bundle for an https://
 * ingest server, and the multi handle with its wake-up socketpair.
 */
static void
metrics_preinit(void)
{
	server_ca_read(&push.ca, &push.calen);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("%s: curl_global_init", __func__);
	curlev_init(&push.cv, penv.evbase, push_action, NULL);
	ms_tags_init(&tags, "", NULL, NULL);	/* uname(2), once */
}

static void
metrics_init(void)
{
	struct timeval	tv = { PUSH_TRIM_S, 0 };

	store = ms_store_new();
	nbconf.metrics_enabled = -1;
	/* No server_wait(): a failure waits for the next round. */
	server_init(&push.srv, push_resolved, push_fail, NULL);
	evtimer_set(&push.tick, push_tick, NULL);
	evtimer_set(&push.trim, trim_tick, NULL);
	evtimer_add(&push.trim, &tv);
}

/* Start and after every reload: the switches may have changed. */
static void
metrics_configured(void)
{
	push.rc_time = 0;
	push_update();
}

static void
metrics_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_metric_self	self;
	struct nbd_metric_sync	s;
	struct nbd_metric_rss	r;
	const char		*why;

	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		imsg_data_exact(imsg, &nbconf, sizeof(nbconf), __func__);
		if ((why = netbird_config_invalid(&nbconf)) != NULL)
			fatalx("%s: %s", __func__, why);
		push_update();
		break;
	case IMSG_METRIC_SELF:
		imsg_data_exact(imsg, &self, sizeof(self), __func__);
		metrics_self(&self);
		break;
	case IMSG_METRIC_SYNC:
		imsg_data_exact(imsg, &s, sizeof(s), __func__);
		if (ms_add_sync(store, &s) == -1)
			fatalx("%s: bad sync sample", __func__);
		break;
	case IMSG_METRIC_RSS:
		imsg_data_exact(imsg, &r, sizeof(r), __func__);
		ms_rss_set(store, &r);
		break;
	case IMSG_SOCKET_METRICS:
		prom_listen(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/* From ice and mgmt, part of the daemon: a bad sample is a bug. */
static void
metrics_dispatch_ice(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_metric_conn	c;
	struct nbd_metric_peer	p;
	struct nbd_key		k;

	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_METRIC_CONN:
		imsg_data_exact(imsg, &c, sizeof(c), __func__);
		if (!have_self)
			break;
		if (ms_add_conn(store, &c, tags.peer_id) == -1)
			fatalx("%s: bad connection sample", __func__);
		break;
	case IMSG_METRIC_PEER:
		imsg_data_exact(imsg, &p, sizeof(p), __func__);
		if (ms_peer_set(store, &p) == -1)
			fatalx("%s: bad peer gauge", __func__);
		break;
	case IMSG_METRIC_PEER_DEL:
		imsg_data_exact(imsg, &k, sizeof(k), __func__);
		ms_peer_del(store, &k);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
metrics_dispatch_mgmt(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_metric_login	l;

	(void)iev;
	if (imsg_get_type(imsg) != IMSG_METRIC_LOGIN)
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	imsg_data_exact(imsg, &l, sizeof(l), __func__);
	if (ms_add_login(store, &l) == -1)
		fatalx("%s: bad login sample", __func__);
}

static void
metrics_dispatch_control(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_metrics_req	r;

	if (imsg_get_type(imsg) != IMSG_CTL_SHOW_METRICS)
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	imsg_data_exact(imsg, &r, sizeof(r), __func__);
	if (r.format != CTL_METRICS_LINE && r.format != CTL_METRICS_PROM)
		fatalx("%s: format %d", __func__, r.format);
	metrics_show(iev, imsg_get_id(imsg), r.format);
}

static void
metrics_dispatch_dns(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	if (imsg_get_type(imsg) != IMSG_DNS_ANSWER)
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	server_dns_answer(&push.srv, imsg);
}

/* The samples as they would be pushed, or the Prometheus gauges. */
static void
metrics_show(struct imsgev *iev, uint32_t id, int format)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	if (format == CTL_METRICS_PROM)
		rv = ms_write_prom(store, &tags, proc_names, f);
	else
		rv = ms_write_lines(store, &tags, ms_count(store), f);
	if (fclose(f) == EOF || rv == -1)
		fatal("%s: writing", __func__);
	ctl_text_send(iev, id, buf, len);
	free(buf);
}

static void
metrics_self(const struct nbd_metric_self *m)
{
	if (memchr(m->pubkey, '\0', sizeof(m->pubkey)) == NULL ||
	    memchr(m->mgmt_url, '\0', sizeof(m->mgmt_url)) == NULL ||
	    memchr(m->version, '\0', sizeof(m->version)) == NULL)
		fatalx("%s: unterminated string", __func__);
	ms_tags_init(&tags, m->pubkey, m->mgmt_url, m->version);
	have_self = 1;
}

/*
 * GET /metrics on the socket the parent bound: the Prometheus text.
 * Anything else is 404; libevent bounds headers and time.
 */
static void
prom_listen(struct imsg *imsg)
{
	int	fd;

	imsg_empty(imsg, __func__);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: no descriptor", __func__);
	if (prom != NULL)
		fatalx("%s: a second listener", __func__);
	if ((prom = evhttp_new(penv.evbase)) == NULL)
		fatalx("%s: evhttp_new", __func__);
	evhttp_set_allowed_methods(prom, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(prom, PROM_MAX_HEADERS);
	evhttp_set_max_body_size(prom, 0);
	evhttp_set_timeout(prom, PROM_TIMEOUT_S);
	if (evhttp_set_cb(prom, "/metrics", prom_scrape, NULL) != 0)
		fatalx("%s: evhttp_set_cb", __func__);
	evhttp_set_gencb(prom, prom_other, NULL);
	if (evhttp_accept_socket(prom, fd) != 0)
		fatalx("%s: evhttp_accept_socket", __func__);
	log_debug("Prometheus metrics served on the configured address");
}

static void
prom_scrape(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*b;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;

	(void)arg;
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	if (ms_write_prom(store, &tags, proc_names, f) == -1 ||
	    fclose(f) == EOF)
		fatal("%s: writing", __func__);
	if ((b = evbuffer_new()) == NULL ||
	    evbuffer_add(b, buf, len) == -1)
		fatal("%s: evbuffer", __func__);
	free(buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
prom_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

static void
trim_tick(int fd, short ev, void *arg)
{
	struct timeval	tv = { PUSH_TRIM_S, 0 };

	(void)fd;
	(void)ev;
	(void)arg;
	ms_trim(store, clock_ns(CLOCK_REALTIME));
	evtimer_add(&push.trim, &tv);
}

/*
 * Push or not: the configuration says yes or no; "auto" follows what
 * management says.  Turned on, the first push goes now.
 */
static void
push_update(void)
{
	int	on;

	switch (penv.conf.metrics_push) {
	case METRICS_PUSH_YES:
		on = 1;
		break;
	case METRICS_PUSH_NO:
		on = 0;
		break;
	default:
		on = nbconf.metrics_enabled == 1;
		break;
	}
	if (on == push.on)
		return;
	push.on = on;
	log_info("metrics push %s", on ? "on" : "off");
	if (on) {
		push_later(0);
		return;
	}
	evtimer_del(&push.tick);
	server_cancel(&push.srv);
	push_end();
}

/* A push URL in the configuration: no remote config, no version rule. */
static int
push_forced(void)
{
	return penv.conf.metrics_url[0] != '\0';
}

static void
push_later(int seconds)
{
	struct timeval	tv = { seconds, 0 };

	evtimer_add(&push.tick, &tv);
}

/* One round: the remote config when due, then the samples. */
static void
push_tick(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!push.on || push.kind != XFER_NONE)
		return;
	if (!push_forced() && (push.rc_time == 0 ||
	    clock_ns(CLOCK_MONOTONIC) / 1000000000 - push.rc_time >= PUSH_RCONF_MAX_AGE)) {
		push_start(XFER_CONFIG, penv.conf.metrics_config_url);
		return;
	}
	push_post();
}

static int
push_interval(void)
{
	if (penv.conf.metrics_interval > 0)
		return penv.conf.metrics_interval;
	if (!push_forced() && push.rc_time != 0)
		return push.rc.period_minutes * 60;
	return PUSH_DEFAULT_S;
}

static void
push_post(void)
{
	const char	*url;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;

	if (!push_forced()) {
		if (push.rc_time == 0) {
			push_later(PUSH_DEFAULT_S);
			return;
		}
		if (rconf_eligible(&push.rc, tags.version) != 1) {
			log_debug("metrics push: version %s not in [%s, %s)",
			    tags.version, push.rc.since, push.rc.until);
			push_later(push_interval());
			return;
		}
	}
	if (!have_self || (push.nsent = ms_count(store)) == 0) {
		push_later(push_interval());
		return;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	if (ms_write_lines(store, &tags, push.nsent, f) == -1 ||
	    fclose(f) == EOF)
		fatal("%s: writing", __func__);
	if (gzip_buf(buf, len, &push.gz, &push.gzlen) == -1)
		fatalx("%s: gzip", __func__);
	free(buf);
	url = push_forced() ? penv.conf.metrics_url : push.rc.server_url;
	push_start(XFER_POST, url);
}

/* Resolve the URL's host in the dns child, then transfer. */
static void
push_start(enum xfer_kind kind, const char *url)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL, hp[NBD_DNS_HOST_MAX + 8];
	int	 ok;

	push.kind = kind;
	strlcpy(push.url, url, sizeof(push.url));
	if ((u = curl_url()) == NULL)
		fatal("%s: curl_url", __func__);
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK;
	if (ok)
		snprintf(hp, sizeof(hp), "%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	if (!ok || server_parse(&push.srv, hp, 0) == -1) {
		push_fail("cannot use the URL %s", url);
		return;
	}
	server_resolve(&push.srv);
}

static void
push_resolved(void)
{
	if (push_easy() == -1) {
		push_fail("libcurl refused the request to %s", push.url);
		return;
	}
	if (curl_multi_add_handle(push.cv.multi, push.easy) != CURLM_OK)
		fatalx("%s: curl_multi_add_handle", __func__);
}

static int
push_easy(void)
{
	CURL		*e;
	CURLcode	 rc = CURLE_OK;
	struct curl_blob blob;
	char		 h[64];

	if ((push.easy = e = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init", __func__);
	push.bodylen = 0;
	push.toolong = 0;
	push.errbuf[0] = '\0';
	rc |= curl_easy_setopt(e, CURLOPT_URL, push.url);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_RESOLVE, grpc_resolve_list());
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)PUSH_TIMEOUT_MS);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, push.errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, push_write);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "netbirdd/" NBD_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	if (push.ca != NULL) {
		blob.data = push.ca;
		blob.len = push.calen;
		blob.flags = CURL_BLOB_NOCOPY;
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (push.kind == XFER_POST) {
		snprintf(h, sizeof(h), "X-Peer-ID: %s", tags.peer_id);
		if ((push.hdrs = curl_slist_append(NULL,
		    "Content-Type: text/plain; charset=utf-8")) == NULL ||
		    curl_slist_append(push.hdrs, "Content-Encoding: gzip") ==
		    NULL || curl_slist_append(push.hdrs, h) == NULL ||
		    curl_slist_append(push.hdrs, "Expect:") == NULL)
			fatal("%s: curl_slist_append", __func__);
		rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, push.hdrs);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, push.gz);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)push.gzlen);
	}
	return rc == CURLE_OK ? 0 : -1;
}

/* The config answer is kept up to its bound; a POST's is dropped. */
static size_t
push_write(char *ptr, size_t size, size_t n, void *arg)
{
	size_t	len = size * n;

	(void)arg;
	if (push.kind != XFER_CONFIG)
		return len;
	if (len > RCONF_BODY_MAX - push.bodylen) {
		push.toolong = 1;
		return 0;
	}
	memcpy(push.body + push.bodylen, ptr, len);
	push.bodylen += len;
	return len;
}

static void
push_action(void *arg, CURLMcode rc)
{
	CURLMsg	*m;
	int	 left;

	(void)arg;
	if (rc != CURLM_OK)
		log_warnx("%s: %s", __func__, curl_multi_strerror(rc));
	while ((m = curl_multi_info_read(push.cv.multi, &left)) != NULL) {
		if (m->msg == CURLMSG_DONE && m->easy_handle == push.easy) {
			push_done(m->data.result);
			return;
		}
	}
}

static void
push_done(CURLcode res)
{
	long	status = 0;

	curl_easy_getinfo(push.easy, CURLINFO_RESPONSE_CODE, &status);
	if (push.kind == XFER_CONFIG)
		push_config_done(res, status);
	else
		push_post_done(res, status);
}

/* A config that does not come or does not parse: the last good stays. */
static void
push_config_done(CURLcode res, long status)
{
	struct rconf	 rc;
	const char	*why = NULL;
	char		 url[CTL_URL_LEN], errs[CURL_ERROR_SIZE];

	strlcpy(url, push.url, sizeof(url));
	if (push.toolong)
		why = "answer longer than 4096 bytes";
	else if (res != CURLE_OK)
		why = curlev_why(errs, sizeof(errs), push.errbuf, res);
	else if (status < 200 || status > 299)
		why = "HTTP error";
	else {
		push.body[push.bodylen] = '\0';
		why = rconf_parse(push.body, push.bodylen, &rc);
	}
	push_end();
	if (why != NULL) {
		if (!push.rc_failing)
			log_warnx("metrics config from %s: %s (HTTP %ld)%s",
			    url, why, status, push.rc_time != 0 ?
			    ": the last good one stays" : "");
		push.rc_failing = 1;
		if (push.rc_time == 0) {
			push_later(PUSH_DEFAULT_S);
			return;
		}
	} else {
		if (push.rc_failing || push.rc_time == 0)
			log_info("metrics config: push to %s, versions [%s, "
			    "%s), every %d min", rc.server_url, rc.since,
			    rc.until, rc.period_minutes);
		push.rc = rc;
		push.rc_failing = 0;
	}
	push.rc_time = clock_ns(CLOCK_MONOTONIC) / 1000000000;
	push_post();
}

/* Pushed samples go; a failed push keeps them for the next round. */
static void
push_post_done(CURLcode res, long status)
{
	char	why[CURL_ERROR_SIZE + 32];
	size_t	n = push.nsent;

	if (res == CURLE_OK && status >= 200 && status <= 299) {
		ms_drop_oldest(store, n);
		if (push.failing)
			log_info("metrics push to %s works again", push.url);
		log_debug("metrics push: %zu samples to %s", n, push.url);
		push.failing = 0;
	} else {
		if (res != CURLE_OK)
			curlev_why(why, sizeof(why), push.errbuf, res);
		else
			snprintf(why, sizeof(why), "HTTP %ld", status);
		if (!push.failing)
			log_warnx("metrics push to %s failed: %s; %zu samples "
			    "kept", push.url, why, n);
		push.failing = 1;
	}
	push_end();
	push_later(push_interval());
}

static void
push_end(void)
{
	if (push.easy != NULL) {
		curl_multi_remove_handle(push.cv.multi, push.easy);
		curl_easy_cleanup(push.easy);
	}
	push.easy = NULL;
	curl_slist_free_all(push.hdrs);
	push.hdrs = NULL;
	free(push.gz);
	push.gz = NULL;
	push.gzlen = 0;
	push.kind = XFER_NONE;
}

/* The name did not resolve: as a failed transfer of that kind. */
static void
push_fail(const char *fmt, ...)
{
	va_list	ap;
	char	why[CTL_MSG_LEN];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	strlcpy(push.errbuf, why, sizeof(push.errbuf));
	if (push.kind == XFER_CONFIG)
		push_config_done(CURLE_COULDNT_RESOLVE_HOST, 0);
	else
		push_post_done(CURLE_COULDNT_RESOLVE_HOST, 0);
}
