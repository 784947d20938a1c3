# Messages from the signal stream: envelope, box, Body, and what ice
# asks to send.  The generated code is compiled here, with the warnings
# proto/Makefile turns off for it.
FUZZERS	+= signal
SRCS_signal = $(TOP)/common/log.c $(TOP)/common/key.c \
	$(addprefix $(TOP)/netbirdd/,signal_msg.c box.c) \
	$(TOP)/proto/signalexchange.pb-c.c
LDLIBS_signal = $(shell $(PKG_CONFIG) --libs libprotobuf-c libsodium)
fuzz_signal: FUZZ_CFLAGS += -I$(TOP)/netbirdd -I$(TOP)/proto \
	-Wno-cast-qual -Wno-missing-braces -Wno-missing-field-initializers \
	$(shell $(PKG_CONFIG) --cflags libevent libprotobuf-c libsodium)
$(TOP)/proto/signalexchange.pb-c.c:
	$(MAKE) -C $(TOP)/proto
