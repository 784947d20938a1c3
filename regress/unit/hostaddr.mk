# The host addresses the parent offers ice for host candidates.
TESTS	+= hostaddr_test
hostaddr_test: $(addprefix $(TOP)/netbirdd/,hostaddr.c wg.c wg_uapi.c \
	wg_kernel.c netlink.c)
