# WebSocket opening handshake, client frames, the reader of server frames.
# SHA-1 (Sec-WebSocket-Accept) is libcrypto's.
TESTS	+= ws_frame_test
ws_frame_test: LDLIBS += $(shell $(PKG_CONFIG) --libs libcrypto)
ws_frame_test: $(TOP)/netbirdd/ws_frame.c
