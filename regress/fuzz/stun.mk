# STUN datagrams on the WireGuard port: parse and MESSAGE-INTEGRITY.
FUZZERS	+= stun
SRCS_stun = $(TOP)/common/log.c $(TOP)/netbirdd/ice_stun.c \
	$(TOP)/netbirdd/ice_cand.c
LDLIBS_stun = $(shell $(PKG_CONFIG) --libs libsodium) -lnice
fuzz_stun: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libsodium)
