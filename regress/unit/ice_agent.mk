# The ICE agent and the network layer of the ice process, with the real
# candidate and STUN modules; the raw socket and TURN are stand-ins.
TESTS	+= ice_agent_test
ice_agent_test: $(addprefix $(TOP)/netbirdd/,ice_agent.c ice_net.c ice_uri.c \
	ice_cand.c ice_stun.c proc.c sandbox.c) logcap.c
