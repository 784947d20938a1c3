# STUN and TURN server URIs from management: ice_uri_parse().
FUZZERS	+= iceuri
SRCS_iceuri = $(TOP)/netbirdd/ice_uri.c
LDLIBS_iceuri =
fuzz_iceuri: FUZZ_CFLAGS += -I$(TOP)/netbirdd
