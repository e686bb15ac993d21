// nonblocking-sendfile: what a non-blocking socket costs sendfile(2)
// without Go's runtime, for BENCHMARKS.md ("Where zcopy does not win").
//
// It forks a reader that reads a Unix socketpair into a 256 KiB buffer,
// sends FILE into the socket with sendfile(2), and prints the sender's
// CPU time (user+sys) and its voluntary context switches:
//
//	cc -O2 -o /tmp/nbsf docs/nonblocking-sendfile.c
//	head -c 256M /dev/urandom > /tmp/f256 && cat /tmp/f256 > /dev/null
//	for i in 1 2 3 4 5 6 7 8 9; do for m in block nb nb2; do /tmp/nbsf $m /tmp/f256 0 0; done; done
//
// MODE: block, a blocking socket (the kernel sleeps inside sendfile when
// the send buffer is full); nb, O_NONBLOCK and poll(2) after EAGAIN, as
// Go's poller does; nb2, O_NONBLOCK and poll(2) after a short write,
// which saves the call that would return EAGAIN. SCPU and RCPU pin the
// sender and the reader (the same CPU, or two).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pin(int cpu) {
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof s, &s);
}

static double ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: %s block|nb|nb2 FILE SCPU RCPU\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		pin(atoi(argv[4]));
		close(sv[0]);
		static char buf[256 << 10];
		while (read(sv[1], buf, sizeof buf) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	pin(atoi(argv[3]));
	int in = open(argv[2], O_RDONLY);
	if (in < 0) {
		perror(argv[2]);
		return 1;
	}
	if (strcmp(mode, "block") != 0)
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	long calls = 0, eagain = 0, total = 0;
	int full = 0;
	for (;;) {
		struct pollfd p = {sv[0], POLLOUT, 0};
		if (full && strcmp(mode, "nb2") == 0)
			poll(&p, 1, -1);
		ssize_t n = sendfile(sv[0], in, NULL, 1 << 30);
		calls++;
		if (n < 0 && errno == EAGAIN) {
			eagain++;
			if (strcmp(mode, "nb") == 0)
				poll(&p, 1, -1);
			full = 1;
			continue;
		}
		if (n <= 0)
			break;
		total += n;
		full = 1;
	}
	getrusage(RUSAGE_SELF, &r1);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	printf("%s: %ld bytes, sender CPU %.1f ms, %ld sendfile calls (%ld EAGAIN), %ld voluntary switches\n", mode, total,
	       ms(r1.ru_utime) + ms(r1.ru_stime) - ms(r0.ru_utime) - ms(r0.ru_stime), calls, eagain,
	       r1.ru_nvcsw - r0.ru_nvcsw);
	return 0;
}
