# Relay messages from a server, and the Auth encoder on token strings.
FUZZERS	+= relay_msg
SRCS_relay_msg = $(TOP)/common/log.c $(TOP)/netbirdd/relay_msg.c
LDLIBS_relay_msg = $(shell $(PKG_CONFIG) --libs libsodium)
fuzz_relay_msg: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libsodium)
