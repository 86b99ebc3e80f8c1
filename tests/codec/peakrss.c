/*
 * peakrss.c - test helper: run a command (stdin and stdout passed
 * through) and print its peak resident set size in KB on stderr as
 * "peakrss KB"; exit with the command's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	pid_t pid;
	int st;

	if (argc < 2) {
		fprintf(stderr, "usage: peakrss COMMAND [ARGS]\n");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return 2;
	fprintf(stderr, "peakrss %ld\n", ru.ru_maxrss);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}
