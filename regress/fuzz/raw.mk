# Packets from the raw socket of the WireGuard port: ice_raw_decode().
FUZZERS	+= raw
SRCS_raw = $(TOP)/netbirdd/ice_raw.c
LDLIBS_raw =
fuzz_raw: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libevent)
