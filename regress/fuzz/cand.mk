# Candidate strings from the remote peer (signal CANDIDATE payloads).
FUZZERS	+= cand
SRCS_cand = $(TOP)/common/log.c $(TOP)/netbirdd/ice_cand.c
LDLIBS_cand =
fuzz_cand: FUZZ_CFLAGS += -I$(TOP)/netbirdd
