# netbirdd: a privilege-separated NetBird agent.

# The test count must stay the last line of make check.
MAKEFLAGS += --no-print-directory

SUBDIRS	= common proto netbirdd netbirdctl

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= /etc/systemd/system

# Debian packages: to build, and to run the regress suite.
DEPS_BUILD = build-essential pkg-config byacc libevent-dev libmnl-dev \
	libsodium-dev libnice-dev libprotobuf-c-dev protobuf-c-compiler \
	libcurl4-openssl-dev libbsd-dev libseccomp-dev clang libprotobuf-dev \
	libclang-rt-14-dev mandoc libssl-dev zlib1g-dev
DEPS_TEST = wireguard-go wireguard-tools iproute2 nftables procps gdb \
	iputils-ping python3 python3-grpcio python3-protobuf python3-nacl \
	protobuf-compiler-grpc protobuf-compiler strace openssl \
	qemu-system-x86 busybox cpio kmod xz-utils linux-image-amd64 coturn \
	conntrack valgrind

.PHONY: all clean install check regress fuzz fuzz-smoke lint deps deps-test \
	apt-install demo demo-stop bench $(SUBDIRS)

all: $(SUBDIRS)

netbirdd netbirdctl: common
netbirdd: proto

$(SUBDIRS):
	$(MAKE) -C $@

# Install only what is missing, so these are quick on a ready machine.
deps:
	@$(MAKE) -s apt-install PKGS="$(DEPS_BUILD)"

deps-test: deps
	@$(MAKE) -s apt-install PKGS="$(DEPS_TEST)"

apt-install:
	@missing=; for p in $(PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $$missing; fi

# The suite under ASan+UBSan, then as built to ship (regress/check.sh).
check: deps-test
	regress/check.sh

regress: all
	$(MAKE) -C regress

# Not part of check: netbirdd against Nebula and WireGuard by hand.
bench: deps-test
	$(MAKE) all
	$(MAKE) -C regress/bench bench-compare

fuzz: common
	$(MAKE) -C regress/fuzz

# Each target for FUZZ_SECONDS (10) on its corpus; make check runs it.
fuzz-smoke: common
	$(MAKE) -C regress/fuzz smoke

demo: deps
	$(MAKE) all
	regress/demo/demo.sh start

demo-stop:
	regress/demo/demo.sh stop

lint:
	mandoc -Tlint -Wwarning man/netbirdd.8 man/netbirdctl.8 \
	    man/netbirdd.conf.5

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)/var/lib/netbirdd
	install -m 0755 netbirdd/netbirdd netbirdctl/netbirdctl \
	    $(DESTDIR)$(SBINDIR)
	install -m 0644 man/netbirdd.8 man/netbirdctl.8 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/netbirdd.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 netbirdd/netbirdd.conf \
	    $(DESTDIR)$(SYSCONFDIR)/netbirdd.conf.example
	test -e $(DESTDIR)$(SYSCONFDIR)/netbirdd.conf || install -m 0600 \
	    netbirdd/netbirdd.conf $(DESTDIR)$(SYSCONFDIR)/netbirdd.conf
	sed 's,@SBINDIR@,$(SBINDIR),g' netbirdd/netbirdd.service \
	    > $(DESTDIR)$(UNITDIR)/netbirdd.service
	chmod 0700 $(DESTDIR)/var/lib/netbirdd
	if [ -z "$(DESTDIR)" ] && ! getent passwd _netbird >/dev/null; then \
	    useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group _netbird; fi

clean:
	for d in $(SUBDIRS) regress; do $(MAKE) -C $$d clean; done
