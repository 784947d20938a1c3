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

#ifndef SANDBOX_TEST_H
#define SANDBOX_TEST_H

#include <sys/types.h>
#include <limits.h>

#include "netbirdd.h"

#define TIMEOUT_MS	10000
#define WORK_DONE	"allowed work done"

/* Sets of processes. */
#define P(p)		(1U << (p))
#define TCP_PROCS	(P(PROC_MGMT) | P(PROC_SIGNAL) | P(PROC_ICE) | \
			    P(PROC_METRICS))

/* Exit codes of a child whose own work failed: above any errno. */
#define FAIL_SETUP	200
#define FAIL_NET	201
#define FAIL_PROC	202
#define FAIL_EVENTS	203
#define FAIL_WORK	204

struct env {
	char		 dir[64];		/* everything below is in it */
	char		 root[PATH_MAX];	/* empty: the chroot */
	char		 log[PATH_MAX];
	char		 written[PATH_MAX];	/* must never be */
	int		 root_user;		/* chroot and become nobody */
	uid_t		 uid;			/* nobody */
	gid_t		 gid;
	pid_t		 pid;			/* this program */
	uid_t		 self_uid;
	int		 logfd;			/* children's stderr, a file */
	int		 ia32;			/* int 0x80 works */
	int		 sp[2];			/* imsg: us, the child */
};

extern struct env env;

/* sandbox_work.c: the work each child exists for, and its peers here. */
void	work_setup(void);
void	work_cleanup(void);
void	work_prepare(enum nbd_proc);
int	work_main(enum nbd_proc);
int	work_peer(enum nbd_proc, pid_t);
int	wait_fd(int, short);

#endif
