/*
 * A reference TCP relay in C for `npm run bench:dataplane`: what a userspace proxy can reach on this machine
 * without Node. `copy` moves bytes with read() and write() through a buffer (every byte crosses into user
 * space and back, as in any copying proxy); `splice` moves them socket -> pipe -> socket with splice(2) and
 * never copies them to user space (what haproxy's `option splice-auto` and kernel-assisted proxies use).
 * Two threads per connection, one per direction; no balancing, no timers, no logging.
 *
 * Usage: relay copy|splice[:BYTES] <listenIp> <port>=<targetIp>:<targetPort>...   BYTES is the buffer (or
 * pipe) size, 64 KiB by default: the size of most proxies' reads. portchain's kube-proxy reads up to 1 MiB
 * at a time in bulk, so the benchmark also runs the copying relay at that size. Prints "ready"; exits when
 * stdin closes (the benchmark kills its children that way too).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t chunk = 64 * 1024;
static int use_splice;

struct route {
  int listener;
  struct sockaddr_in target;
};

struct conn {
  int fd[2];
  atomic_int open_pumps;
};

struct pump {
  struct conn *c;
  int from, to;
};

static void pump_copy(int from, int to) {
  char *buf = malloc(chunk);
  for (;;) {
    ssize_t n = read(from, buf, chunk);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(to, buf + off, (size_t)(n - off));
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  free(buf);
}

static void pump_splice(int from, int to) {
  int p[2];
  if (pipe(p) != 0) return;
  // A pipe holds what it was sized to (rounded up to pages; at most /proc/sys/fs/pipe-max-size).
  int size = fcntl(p[1], F_SETPIPE_SZ, (int)chunk);
  size_t room = size > 0 ? (size_t)size : 64 * 1024;
  for (;;) {
    ssize_t n = splice(from, NULL, p[1], NULL, room, SPLICE_F_MOVE);
    if (n <= 0) break;
    while (n > 0) {
      ssize_t w = splice(p[0], NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);
      if (w <= 0) goto done;
      n -= w;
    }
  }
done:
  close(p[0]);
  close(p[1]);
}

static void *pump_main(void *arg) {
  struct pump *pm = arg;
  if (use_splice)
    pump_splice(pm->from, pm->to);
  else
    pump_copy(pm->from, pm->to);
  shutdown(pm->to, SHUT_WR);
  struct conn *c = pm->c;
  free(pm);
  if (atomic_fetch_sub(&c->open_pumps, 1) == 1) {
    close(c->fd[0]);
    close(c->fd[1]);
    free(c);
  }
  return NULL;
}

static void start_pump(struct conn *c, int from, int to) {
  struct pump *pm = malloc(sizeof *pm);
  pm->c = c;
  pm->from = from;
  pm->to = to;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  if (pthread_create(&t, &attr, pump_main, pm) != 0) abort();
  pthread_attr_destroy(&attr);
}

static void *accept_main(void *arg) {
  struct route *r = arg;
  int one = 1;
  for (;;) {
    int client = accept(r->listener, NULL, NULL);
    if (client < 0) continue;
    int backend = socket(AF_INET, SOCK_STREAM, 0);
    if (backend < 0 || connect(backend, (struct sockaddr *)&r->target, sizeof r->target) != 0) {
      if (backend >= 0) close(backend);
      close(client);
      continue;
    }
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = malloc(sizeof *c);
    c->fd[0] = client;
    c->fd[1] = backend;
    atomic_init(&c->open_pumps, 2);
    start_pump(c, client, backend);
    start_pump(c, backend, client);
  }
  return NULL;
}

static void *stdin_main(void *arg) {
  (void)arg;
  char b[64];
  while (read(0, b, sizeof b) > 0) {
  }
  exit(0);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  size_t name = strcspn(mode, ":");
  int copy = name == 4 && strncmp(mode, "copy", 4) == 0;
  use_splice = name == 6 && strncmp(mode, "splice", 6) == 0;
  if (mode[name] == ':') chunk = strtoul(mode + name + 1, NULL, 10);
  if (argc < 4 || (!copy && !use_splice) || chunk < 4096 || chunk > (64u << 20)) {
    fprintf(stderr, "usage: relay copy|splice[:BYTES] <listenIp> <port>=<targetIp>:<targetPort>...\n");
    return 2;
  }
  // A peer closing while bytes are written to it must end that connection, not the relay.
  signal(SIGPIPE, SIG_IGN);
  for (int i = 3; i < argc; i++) {
    unsigned port, target_port;
    char target_ip[64];
    if (sscanf(argv[i], "%u=%63[^:]:%u", &port, target_ip, &target_port) != 3) {
      fprintf(stderr, "bad route %s\n", argv[i]);
      return 2;
    }
    struct route *r = calloc(1, sizeof *r);
    r->target.sin_family = AF_INET;
    r->target.sin_port = htons((unsigned short)target_port);
    inet_pton(AF_INET, target_ip, &r->target.sin_addr);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, argv[2], &at.sin_addr);
    r->listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(r->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(r->listener, (struct sockaddr *)&at, sizeof at) != 0 || listen(r->listener, 1024) != 0) {
      perror("listen");
      return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, accept_main, r);
  }
  pthread_t t;
  pthread_create(&t, NULL, stdin_main, NULL);
  printf("ready\n");
  fflush(stdout);
  pthread_join(t, NULL);
  return 0;
}
