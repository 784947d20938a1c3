# The metrics push: remote config (rconf_parse), Go durations, versions.
FUZZERS	+= rconf
SRCS_rconf = $(TOP)/netbirdd/metrics_push.c
LDLIBS_rconf = $(shell $(PKG_CONFIG) --libs zlib)
fuzz_rconf: FUZZ_CFLAGS += -I$(TOP)/netbirdd
