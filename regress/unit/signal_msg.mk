# signal: Body <-> struct nbd_signal_msg, envelopes, NaCl boxes.
TESTS	+= signal_msg_test
signal_msg_test: CFLAGS += -I$(TOP)/proto
signal_msg_test: LDLIBS := $(TOP)/proto/libproto.a $(LDLIBS)
signal_msg_test: $(addprefix $(TOP)/netbirdd/,signal_msg.c box.c) \
	$(TOP)/proto/libproto.a
