# The metrics store: samples and gauges from other processes, the line
# protocol and exposition written from them, Go's %g, deployment URLs.
FUZZERS	+= metrics_store
SRCS_metrics_store = $(TOP)/common/log.c $(TOP)/common/key.c \
	$(TOP)/netbirdd/metrics_store.c
LDLIBS_metrics_store = $(shell $(PKG_CONFIG) --libs libsodium) -lm
fuzz_metrics_store: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libevent libsodium)
