// uring_relay_probe MODE LISTEN_PORT TARGET_PORT: a byte relay on 127.0.0.1, one server
// connection per client, one thread, no protocol parsing. A probe of how much CPU io_uring
// would save a request/response proxy on this kernel (bench/README.md); not part of domicile.
//   epoll:       edge-triggered epoll, recv, then send at once: the syscall pattern of
//                PgBouncer and domicile (2 recv + 2 send per round trip, plus epoll_wait).
//   uring:       io_uring recv and send; each loop is one io_uring_enter that submits what the
//                last completions queued and waits for the next.
//   uring-coop:  the same with IORING_SETUP_COOP_TASKRUN.
//   uring-defer: the same with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN.
// Build: apt-get install liburing-dev; gcc -O2 -o uring_relay_probe uring_relay_probe.c -luring
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 16384
#define MAXFD 4096

struct end {
  int fd, peer;
  char buf[BUF];
  int len;  // uring: bytes being sent to peer from this end's buffer
};
static struct end* ends[MAXFD];

static int connect_to(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(s, (void*)&a, sizeof a) < 0) { perror("connect"); exit(1); }
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

static int listen_on(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(s, (void*)&a, sizeof a) < 0 || listen(s, 512) < 0) { perror("listen"); exit(1); }
  return s;
}

static void pair(int c, int target) {
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int s = connect_to(target);
  ends[c] = calloc(1, sizeof(struct end));
  ends[s] = calloc(1, sizeof(struct end));
  ends[c]->fd = c; ends[c]->peer = s;
  ends[s]->fd = s; ends[s]->peer = c;
}

static void drop(int fd) {
  struct end* e = ends[fd];
  if (!e) return;
  int p = e->peer;
  close(fd); close(p);
  free(ends[fd]); free(ends[p]);
  ends[fd] = ends[p] = NULL;
}

static void run_epoll(int lfd, int target) {
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event evs[128];
  char buf[BUF];
  for (;;) {
    int n = epoll_wait(ep, evs, 128, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (c < 0) continue;
        pair(c, target);
        int s = ends[c]->peer;
        fcntl(s, F_SETFL, O_NONBLOCK);
        struct epoll_event e1 = {.events = EPOLLIN | EPOLLET, .data.fd = c};
        struct epoll_event e2 = {.events = EPOLLIN | EPOLLET, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &e1);
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &e2);
        continue;
      }
      if (!ends[fd]) continue;
      for (;;) {
        ssize_t r = recv(fd, buf, BUF, 0);
        if (r <= 0) {
          if (r < 0 && errno == EAGAIN) break;
          drop(fd);
          break;
        }
        ssize_t off = 0;
        while (off < r) {  // the peer's buffer takes it (tiny messages); spin otherwise
          ssize_t w = send(ends[fd]->peer, buf + off, r - off, MSG_NOSIGNAL);
          if (w < 0 && errno == EAGAIN) continue;
          if (w < 0) break;
          off += w;
        }
        if (r < BUF) break;  // drained (as a probe may assume)
      }
    }
  }
}

// uring: user_data = struct end* | op (0 accept, 1 recv, 2 send); an end lives until its
// last operation completes, so a completion never meets a reused fd.
static struct io_uring ring;
struct uend {
  int fd, pending, dead, len;
  struct uend* peer;
  char buf[BUF];
};

static void post(struct uend* e, int op, struct uend* to) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (op == 1) io_uring_prep_recv(sqe, e->fd, e->buf, BUF, 0);
  else io_uring_prep_send(sqe, to->fd, e->buf, e->len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)e | op);
  e->pending++;
}

static void kill_end(struct uend* e) {
  if (!e->dead) { e->dead = 1; shutdown(e->fd, SHUT_RDWR); }
}

static void maybe_free(struct uend* e) {  // after a completion on a dead pair
  struct uend* p = e->peer;
  if (e->pending == 0 && e->fd != -1) { close(e->fd); e->fd = -1; }
  if (p->pending == 0 && p->fd != -1) { close(p->fd); p->fd = -1; }
  if (e->fd == -1 && p->fd == -1) { free(p); free(e); }
}

static void run_uring(int lfd, int target, unsigned flags) {
  struct io_uring_params p = {.flags = flags};
  int rc = io_uring_queue_init_params(1024, &ring, &p);
  if (rc < 0) { fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc)); exit(1); }
  struct io_uring_sqe* a = io_uring_get_sqe(&ring);
  io_uring_prep_multishot_accept(a, lfd, NULL, NULL, 0);
  io_uring_sqe_set_data64(a, 0);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      uint64_t d = io_uring_cqe_get_data64(cqe);
      int res = cqe->res;
      if (d == 0) {
        if (res >= 0) {
          int one = 1;
          setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct uend* c = calloc(1, sizeof *c);
          struct uend* s = calloc(1, sizeof *s);
          c->fd = res; s->fd = connect_to(target);
          c->peer = s; s->peer = c;
          post(c, 1, NULL);
          post(s, 1, NULL);
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) {
          a = io_uring_get_sqe(&ring);
          io_uring_prep_multishot_accept(a, lfd, NULL, NULL, 0);
          io_uring_sqe_set_data64(a, 0);
        }
        continue;
      }
      struct uend* e = (struct uend*)(uintptr_t)(d & ~(uint64_t)7);
      int op = (int)(d & 7);
      e->pending--;
      if (e->dead || res <= 0) {
        if (!e->dead && op == 2 && res == 0) res = -EPIPE;
        kill_end(e); kill_end(e->peer);
        maybe_free(e);
        continue;
      }
      if (op == 1) {
        e->len = res;
        post(e, 2, e->peer);
      } else if (res < e->len) {
        memmove(e->buf, e->buf + res, e->len - res);
        e->len -= res;
        post(e, 2, e->peer);
      } else {
        post(e, 1, NULL);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) { fprintf(stderr, "relay epoll|uring|uring-coop|uring-defer LISTEN TARGET\n"); return 2; }
  int lfd = listen_on(atoi(argv[2]));
  int target = atoi(argv[3]);
  if (!strcmp(argv[1], "epoll")) run_epoll(lfd, target);
  else if (!strcmp(argv[1], "uring")) run_uring(lfd, target, 0);
  else if (!strcmp(argv[1], "uring-coop")) run_uring(lfd, target, IORING_SETUP_COOP_TASKRUN);
  else run_uring(lfd, target, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
  return 0;
}
