# Datagrams from a TURN server into the client, in each of its states;
# the server is regress/unit/turn_fake.c.
FUZZERS	+= turn
SRCS_turn = $(TOP)/common/log.c $(TOP)/common/clock.c \
	$(TOP)/regress/unit/turn_fake.c $(TOP)/netbirdd/ice_turn.c \
	$(TOP)/netbirdd/ice_cand.c
LDLIBS_turn = $(shell $(PKG_CONFIG) --libs libevent) -levent_core -lnice
fuzz_turn: FUZZ_CFLAGS += -I$(TOP)/netbirdd -I$(TOP)/regress/unit \
	$(shell $(PKG_CONFIG) --cflags libevent)
