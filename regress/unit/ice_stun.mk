# STUN for ICE on libnice's STUN library (-lnice from Makefile.inc).
TESTS	+= ice_stun_test
ice_stun_test: $(TOP)/netbirdd/ice_stun.c $(TOP)/netbirdd/ice_cand.c
