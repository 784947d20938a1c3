# Relay URLs from management and offers: relay_url_parse().
FUZZERS	+= relay_url
SRCS_relay_url = $(TOP)/netbirdd/relay_url.c
LDLIBS_relay_url =
fuzz_relay_url: FUZZ_CFLAGS += -I$(TOP)/netbirdd
