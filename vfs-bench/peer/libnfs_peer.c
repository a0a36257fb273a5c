/*
 * The peer of the vfs-bench metadata figures: the same loops an application
 * writes with libnfs's synchronous API, timed the same way as ours (the loop
 * only; context set-up and MOUNT are outside the clock, as our mount is).
 *
 * Usage: libnfs_peer OP URL DIR COUNT
 *
 *   OP     create   creat + write 4 KiB + close, COUNT files
 *          stat     stat64 each of COUNT files
 *          readdir  opendir + readdir every entry (attributes come with them)
 *          unlink   unlink COUNT files
 *   URL    the export, nfs://HOST/EXPORT?nfsport=N&mountport=N
 *   DIR    the directory inside the export, "/name"
 *   COUNT  how many files; file i is DIR/fNNNNN (i zero-padded to 5 digits,
 *          the naming vfs-bench uses for its own loops)
 *
 * Prints the loop's wall time in seconds on stdout (one line). Any failed call
 * prints libnfs's message on stderr and exits 1, so a broken run is never
 * reported as a figure.
 *
 * Build: cc -O2 -o libnfs_peer libnfs_peer.c -lnfs   (Debian: libnfs-dev)
 */
/* libnfs.h uses struct timeval without including its header. */
#include <sys/time.h>

#include <nfsc/libnfs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static struct nfs_context *nfs;

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "libnfs_peer: %s %s: %s\n", what, path, nfs_get_error(nfs));
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void file_path(char *out, size_t size, const char *dir, long i)
{
	snprintf(out, size, "%s/f%05ld", dir, i);
}

static void run_create(const char *dir, long count)
{
	static char data[4096];
	char path[4096];
	memset(data, 'x', sizeof data);
	for (long i = 0; i < count; i++) {
		struct nfsfh *fh;
		file_path(path, sizeof path, dir, i);
		if (nfs_creat(nfs, path, 0644, &fh) != 0)
			fail("creat", path);
		if (nfs_write(nfs, fh, sizeof data, data) != (int)sizeof data)
			fail("write", path);
		if (nfs_close(nfs, fh) != 0)
			fail("close", path);
	}
}

static void run_stat(const char *dir, long count)
{
	char path[4096];
	for (long i = 0; i < count; i++) {
		struct nfs_stat_64 st;
		file_path(path, sizeof path, dir, i);
		if (nfs_stat64(nfs, path, &st) != 0)
			fail("stat64", path);
	}
}

static void run_readdir(const char *dir, long count)
{
	struct nfsdir *d;
	struct nfsdirent *ent;
	long files = 0;
	if (nfs_opendir(nfs, dir, &d) != 0)
		fail("opendir", dir);
	while ((ent = nfs_readdir(nfs, d)) != NULL) {
		if (strcmp(ent->name, ".") != 0 && strcmp(ent->name, "..") != 0)
			files++;
	}
	nfs_closedir(nfs, d);
	/* A short listing would make the peer look fast for the wrong reason. */
	if (files != count) {
		fprintf(stderr, "libnfs_peer: %s lists %ld files, expected %ld\n", dir, files,
			count);
		exit(1);
	}
}

static void run_unlink(const char *dir, long count)
{
	char path[4096];
	for (long i = 0; i < count; i++) {
		file_path(path, sizeof path, dir, i);
		if (nfs_unlink(nfs, path) != 0)
			fail("unlink", path);
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: libnfs_peer create|stat|readdir|unlink URL DIR COUNT\n");
		return 2;
	}
	const char *op = argv[1], *dir = argv[3];
	long count = strtol(argv[4], NULL, 10);
	void (*loop)(const char *, long);
	if (strcmp(op, "create") == 0)
		loop = run_create;
	else if (strcmp(op, "stat") == 0)
		loop = run_stat;
	else if (strcmp(op, "readdir") == 0)
		loop = run_readdir;
	else if (strcmp(op, "unlink") == 0)
		loop = run_unlink;
	else {
		fprintf(stderr, "libnfs_peer: unknown operation %s\n", op);
		return 2;
	}

	nfs = nfs_init_context();
	if (nfs == NULL) {
		fprintf(stderr, "libnfs_peer: nfs_init_context failed\n");
		return 1;
	}
	/* Parsing the URL also applies its nfsport/mountport to the context. */
	struct nfs_url *url = nfs_parse_url_dir(nfs, argv[2]);
	if (url == NULL)
		fail("parse", argv[2]);
	if (nfs_mount(nfs, url->server, url->path) != 0)
		fail("mount", argv[2]);

	double start = now();
	loop(dir, count);
	double elapsed = now() - start;

	printf("%.9f\n", elapsed);
	nfs_destroy_url(url);
	nfs_destroy_context(nfs);
	return 0;
}
