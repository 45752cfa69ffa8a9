// SPDX-License-Identifier: GPL-2.0
// udp_probe: proves the BPF toolchain end to end inside a VM.
// For each hook type (fentry, kprobe) on udp_sendmsg: open the skeleton with
// only that program autoloaded, load, attach, send N UDP datagrams to
// 127.0.0.1 and check the program counted exactly those datagrams.
// Prints one "TXRAY-VM-TEST: PASS|FAIL <name> ..." line per hook and exits
// with the number of failed hooks.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include "udp_probe.skel.h"

static int verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

// Opens a connected UDP sender and a bound receiver on 127.0.0.1.
static int make_sockets(int *tx, int *rx, unsigned short *port, char *err, size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*rx = socket(AF_INET, SOCK_DGRAM, 0);
	*tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (*rx < 0 || *tx < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(*rx, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(*rx, (struct sockaddr *)&a, &alen)) {
		snprintf(err, errlen, "bind 127.0.0.1: %s (is lo up?)", strerror(errno));
		return -1;
	}
	if (connect(*tx, (struct sockaddr *)&a, sizeof(a))) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		return -1;
	}
	*port = ntohs(a.sin_port);
	return 0;
}

static int run_hook(const char *hook, int count)
{
	char name[64], err[256] = "";
	struct udp_probe_bpf *skel = NULL;
	int tx = -1, rx = -1, ok = 0, i, sent = 0, received = 0;
	unsigned short port = 0;
	unsigned long long want_bytes = 0;

	snprintf(name, sizeof(name), "probe.%s.udp_sendmsg", hook);
	if (make_sockets(&tx, &rx, &port, err, sizeof(err)))
		goto out;

	skel = udp_probe_bpf__open();
	if (!skel) {
		snprintf(err, sizeof(err), "skeleton open: %s", strerror(errno));
		goto out;
	}
	bpf_program__set_autoload(skel->progs.on_fentry, !strcmp(hook, "fentry"));
	bpf_program__set_autoload(skel->progs.on_kprobe, !strcmp(hook, "kprobe"));
	skel->rodata->target_tgid = getpid();
	skel->rodata->target_dport = htons(port);

	if (udp_probe_bpf__load(skel)) {
		snprintf(err, sizeof(err), "load: %s", strerror(errno));
		goto out;
	}
	if (udp_probe_bpf__attach(skel)) {
		snprintf(err, sizeof(err), "attach: %s", strerror(errno));
		goto out;
	}

	for (i = 0; i < count; i++) {
		char buf[256];
		size_t len = 32 + i * 7;

		memset(buf, 'a' + i % 26, len);
		if (send(tx, buf, len, 0) != (ssize_t)len) {
			snprintf(err, sizeof(err), "send #%d: %s", i, strerror(errno));
			goto out;
		}
		sent++;
		want_bytes += len;
		if (recv(rx, buf, sizeof(buf), 0) == (ssize_t)len)
			received++;
	}

	if (skel->bss->hits == (unsigned long long)count && skel->bss->bytes == want_bytes &&
	    received == count) {
		ok = 1;
		snprintf(err, sizeof(err), "hits=%llu/%d bytes=%llu/%llu received=%d",
			 (unsigned long long)skel->bss->hits, count,
			 (unsigned long long)skel->bss->bytes, want_bytes, received);
	} else {
		snprintf(err, sizeof(err),
			 "mismatch: hits=%llu/%d bytes=%llu/%llu other=%llu received=%d/%d",
			 (unsigned long long)skel->bss->hits, count,
			 (unsigned long long)skel->bss->bytes, want_bytes,
			 (unsigned long long)skel->bss->other, received, sent);
	}
out:
	printf("TXRAY-VM-TEST: %s %s %s\n", ok ? "PASS" : "FAIL", name, err);
	fflush(stdout);
	udp_probe_bpf__destroy(skel);
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	return ok ? 0 : 1;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-v] [-n COUNT] [fentry|kprobe|all]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *which = "all";
	int count = 5, opt, failed = 0;
	struct utsname u;

	while ((opt = getopt(argc, argv, "vn:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'n': count = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind < argc)
		which = argv[optind];
	if (count < 1 || count > 30)
		usage(argv[0]);
	if (strcmp(which, "all") && strcmp(which, "fentry") && strcmp(which, "kprobe"))
		usage(argv[0]);

	libbpf_set_print(print_fn);
	uname(&u);
	printf("udp_probe: kernel %s, libbpf %s, %d datagrams per hook\n", u.release,
	       libbpf_version_string(), count);
	fflush(stdout);

	if (!strcmp(which, "all") || !strcmp(which, "fentry"))
		failed += run_hook("fentry", count);
	if (!strcmp(which, "all") || !strcmp(which, "kprobe"))
		failed += run_hook("kprobe", count);
	return failed;
}
