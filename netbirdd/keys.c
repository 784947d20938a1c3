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

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "netmap.h"

static int	keys_read(int, const char *, uint8_t *);
static int	keys_create(const char *, uint8_t *);

static struct nbd_key	mgmt_key;	/* the server's, to log a change */

/*
 * The WireGuard private key.  It lives in locked memory in the parent
 * only; children get the public key and, on request, shared keys.
 */
static uint8_t	*privkey;
static uint8_t	 pubkey[KEY_LEN];

/*
 * Load the private key from the state directory, creating the directory
 * (0700) and the key (0600, base64 like wg genkey) on first start.
 */
int
keys_load(const char *statedir)
{
	char	path[PATH_MAX];
	int	fd, rv;

	if (privkey == NULL &&
	    (privkey = sodium_malloc(KEY_LEN)) == NULL)
		fatal("%s: sodium_malloc", __func__);
	if (mkdir(statedir, 0700) == -1 && errno != EEXIST) {
		log_warn("state directory %s", statedir);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", statedir,
	    NBD_KEYFILE) >= sizeof(path)) {
		log_warnx("state directory %s: path too long", statedir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			log_warn("private key %s", path);
			return -1;
		}
		rv = keys_create(path, privkey);
	} else {
		rv = keys_read(fd, path, privkey);
		close(fd);
	}
	if (rv == -1)
		return -1;
	if (crypto_scalarmult_base(pubkey, privkey) != 0)
		fatalx("%s: crypto_scalarmult_base", __func__);
	return 0;
}

static int
keys_read(int fd, const char *path, uint8_t *key)
{
	struct stat	st;
	char		buf[KEY_B64_LEN + 2];
	ssize_t		n;

	if (fstat(fd, &st) == -1) {
		log_warn("private key %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    st.st_uid != geteuid()) {
		log_warnx("private key %s: must be a regular file of ours "
		    "with mode 0600", path);
		return -1;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) == -1) {
		log_warn("private key %s", path);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (key_from_base64(buf, key) == -1) {
		sodium_memzero(buf, sizeof(buf));
		log_warnx("private key %s: not a base64 WireGuard key", path);
		return -1;
	}
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static int
keys_create(const char *path, uint8_t *key)
{
	char	buf[KEY_B64_LEN + 2];
	size_t	len;
	int	fd, rv = 0;

	/* A Curve25519 private key, clamped as wg genkey does. */
	randombytes_buf(key, KEY_LEN);
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("private key %s", path);
		return -1;
	}
	key_to_base64(key, buf, sizeof(buf));
	len = strlen(buf);
	buf[len++] = '\n';
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) == -1) {
		log_warn("private key %s", path);
		unlink(path);
		rv = -1;
	}
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	if (rv == 0)
		log_info("created a new private key in %s", path);
	return rv;
}

const uint8_t *
keys_public(void)
{
	return pubkey;
}

const uint8_t *
keys_private(void)
{
	return privkey;
}

/*
 * The shared key for one remote public key; the private key stays here.
 * mgmt may ask for any key (the server's changes when it restarts);
 * signal and ice only for peers of the network map, and signal for our
 * own key too (its heartbeat goes to ourselves): a child asking for
 * another key, the management server's above all, is compromised.  A
 * key with no shared secret (a low-order point) gets an all-zero one,
 * which the asker must take as a refusal.
 */
void
keys_shared_answer(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_key		req;
	struct nbd_shared_key	sk;
	char			b64[KEY_B64_LEN + 1];

	imsg_data_exact(imsg, &req, sizeof(req), __func__);
	key_to_base64(req.key, b64, sizeof(b64));
	if (iev->proc != PROC_MGMT && !netmap_key_allowed(req.key) &&
	    !(iev->proc == PROC_SIGNAL &&
	    memcmp(req.key, pubkey, sizeof(req.key)) == 0))
		fatalx("%s: %s asked for the key of %s, not a peer", __func__,
		    proc_names[iev->proc], b64);
	if (iev->proc == PROC_MGMT &&
	    memcmp(mgmt_key.key, req.key, sizeof(req.key)) != 0) {
		if (sodium_is_zero(mgmt_key.key, sizeof(mgmt_key.key)))
			log_debug("management server key %s", b64);
		else
			log_info("management server key changed to %s", b64);
		mgmt_key = req;
	}
	memcpy(sk.remote, req.key, sizeof(sk.remote));
	if (crypto_box_beforenm(sk.shared, req.key, privkey) != 0) {
		log_warnx("no shared key with %s: a low-order point", b64);
		sodium_memzero(sk.shared, sizeof(sk.shared));
	}
	if (imsgev_compose(iev, IMSG_KEY_SHARED, imsg_get_id(imsg), 0, -1,
	    &sk, sizeof(sk)) == -1)
		fatal("%s: imsg_compose", __func__);
	sodium_memzero(&sk, sizeof(sk));
}
