# The parent's debug dumps (netbirdd/ctl_dump.c): configuration without
# the setup key, the network map as JSON, text as IMSG_CTL_TEXT chunks.
TESTS	+= ctl_dump_test
ctl_dump_test: $(addprefix $(TOP)/netbirdd/,ctl_dump.c printconf.c \
	netmap.c netbird_config.c keys.c proc.c sandbox.c wg.c wg_uapi.c \
	wg_kernel.c netlink.c)
