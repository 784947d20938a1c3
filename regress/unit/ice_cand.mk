# ICE candidates: pion's string form, foundations, priorities.
TESTS	+= ice_cand_test
ice_cand_test: $(TOP)/netbirdd/ice_cand.c
