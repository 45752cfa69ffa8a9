/* TXRAY_STATIC only: Debian's static libdbus-1.a (pulled in by libpcap.a)
 * calls two libsystemd functions, and there is no libsystemd.a. They serve
 * systemd socket activation of a D-Bus server, which txray never does. */
int sd_listen_fds(int unset_environment);
int sd_is_socket(int fd, int family, int type, int listening);

int sd_listen_fds(int unset_environment)
{
	(void)unset_environment;
	return 0; /* no sockets passed */
}

int sd_is_socket(int fd, int family, int type, int listening)
{
	(void)fd, (void)family, (void)type, (void)listening;
	return 0;
}
