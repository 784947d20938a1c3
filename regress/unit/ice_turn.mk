# netbirdd/ice_turn.c and ice_proxy.c against a TURN server played by
# turn_fake.c; short timers so that retransmissions, refreshes and
# timeouts happen within the test.
TESTS += ice_turn_test
ice_turn_test: $(addprefix $(TOP)/netbirdd/,ice_turn.c ice_proxy.c ice_cand.c) \
	turn_fake.c
ice_turn_test: CFLAGS += -DTURN_RTO_MS=50 -DTURN_RTO_MAX_MS=100 \
	-DTURN_PERM_REFRESH=1 -DTURN_CHAN_REFRESH=2
