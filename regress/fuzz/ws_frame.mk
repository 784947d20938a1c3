# WebSocket (netbirdd/ws_frame.c): the reader of server frames, and the
# opening handshake's response parser.  SHA-1 is libcrypto's.
FUZZERS	+= ws_frame ws_handshake
SRCS_ws_frame = $(TOP)/common/log.c $(TOP)/netbirdd/ws_frame.c
LDLIBS_ws_frame = $(shell $(PKG_CONFIG) --libs libsodium libcrypto)
fuzz_ws_frame: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libsodium)
SRCS_ws_handshake = $(SRCS_ws_frame)
LDLIBS_ws_handshake = $(LDLIBS_ws_frame)
fuzz_ws_handshake: FUZZ_CFLAGS += -I$(TOP)/netbirdd \
	$(shell $(PKG_CONFIG) --cflags libsodium)
