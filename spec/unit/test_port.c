/* test_port.c: the port layer against real kernel objects: a pseudo-terminal pair (the
 * virtual module's transport), a TCP listener on 127.0.0.1 (ser2net), missing devices,
 * regular files and malformed specs. Checks that bytes pass unchanged, that errors
 * read "<port>: <reason>" and that a peer's hang-up is reported as BC_PORT_CLOSED ("closed"),
 * any other fault as BC_PORT_ERROR, that a device has one owner unless asked otherwise, and
 * that bc_port_wait_read keeps its deadline. */
#include "check.h"
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads until want bytes arrived, an error, or 2 s passed; returns bytes read or -1. */
static long read_exact(bc_port *p, unsigned char *buf, size_t want, char *err) {
  size_t got = 0;
  double until = now_s() + 2.0;
  while (got < want && now_s() < until) {
    struct pollfd pfd = {bc_port_fd(p), POLLIN, 0};
    poll(&pfd, 1, 50);
    long n = bc_port_read(p, buf + got, want - got, err);
    if (n < 0) return -1;
    got += (size_t)n;
  }
  return (long)got;
}

static long write_all(bc_port *p, const unsigned char *buf, size_t len, char *err) {
  size_t done = 0;
  double until = now_s() + 2.0;
  while (done < len && now_s() < until) {
    long n = bc_port_write(p, buf + done, len - done, err);
    if (n < 0) return -1;
    done += (size_t)n;
    if (n == 0) {
      struct pollfd pfd = {bc_port_fd(p), POLLOUT, 0};
      poll(&pfd, 1, 50);
    }
  }
  return (long)done;
}

/* Waits until a read reports something other than "nothing yet"; returns its result. */
static long read_until_event(bc_port *p, char *err) {
  unsigned char b[64];
  double until = now_s() + 2.0;
  while (now_s() < until) {
    struct pollfd pfd = {bc_port_fd(p), POLLIN, 0};
    poll(&pfd, 1, 50);
    long n = bc_port_read(p, b, sizeof b, err);
    if (n != 0) return n;
  }
  return 0;
}

static void fill_all_bytes(unsigned char *buf) {
  /* Every byte value, led by the ones a cooked tty would eat or rewrite. */
  static const unsigned char tricky[] = {0x00, 0x0D, 0x0A, 0x1A, 0xFF, 0x03, 0x04, 0x11,
                                         0x13, 0x7F, 0x0D, 0x0D, 0x0A};
  memcpy(buf, tricky, sizeof tricky);
  for (int i = 0; i < 256; i++) buf[sizeof tricky + (size_t)i] = (unsigned char)i;
}
#define ALL_BYTES_LEN (13 + 256)

static void test_pty_both_ways(void) {
  char slave[128], err[BC_PORT_ERR_MAX];
  bc_port *m = bc_port_open_pty(slave, sizeof slave, err);
  CHECK(m != NULL);
  if (!m) {
    fprintf(stderr, "bc_port_open_pty: %s\n", err);
    return;
  }
  CHECK_EQ_INT(bc_port_get_kind(m), BC_PORT_PTY_MASTER);
  CHECK(strncmp(slave, "/dev/pts/", 9) == 0);
  CHECK_EQ_STR(bc_port_name(m), slave);

  /* Before any client: the master must not report an error or hang-up. */
  unsigned char b[8];
  CHECK_EQ_INT(bc_port_read(m, b, sizeof b, err), 0);
  struct pollfd pfd = {bc_port_fd(m), POLLIN, 0};
  CHECK_EQ_INT(poll(&pfd, 1, 0), 0);

  bc_port *c = bc_port_open(slave, 115200, err);
  CHECK(c != NULL);
  if (!c) {
    fprintf(stderr, "bc_port_open(%s): %s\n", slave, err);
    bc_port_close(m);
    return;
  }
  /* libserialport refuses ptys: the termios path must have taken it. */
  CHECK_EQ_INT(bc_port_get_kind(c), BC_PORT_TTY);
  /* An idle client is "nothing yet", every time, not an error (Linux's n_tty answers an
   * idle VMIN=0 read with 0, which must not be mistaken for a hang-up). */
  for (int i = 0; i < 3; i++) {
    err[0] = '\0';
    CHECK_EQ_INT(bc_port_read(c, b, sizeof b, err), 0);
    CHECK_EQ_STR(err, "");
  }

  unsigned char out[ALL_BYTES_LEN], in[ALL_BYTES_LEN];
  fill_all_bytes(out);
  CHECK_EQ_INT(write_all(m, out, sizeof out, err), (long)sizeof out);
  memset(in, 0xAA, sizeof in);
  CHECK_EQ_INT(read_exact(c, in, sizeof in, err), (long)sizeof in);
  CHECK(memcmp(in, out, sizeof out) == 0);
  CHECK_EQ_INT(bc_port_read(c, b, sizeof b, err), 0); /* drained: idle again, not closed */

  CHECK_EQ_INT(write_all(c, out, sizeof out, err), (long)sizeof out);
  memset(in, 0xAA, sizeof in);
  CHECK_EQ_INT(read_exact(m, in, sizeof in, err), (long)sizeof in);
  CHECK(memcmp(in, out, sizeof out) == 0);
  /* Nothing extra arrived (no echo of what the master sent). */
  CHECK_EQ_INT(bc_port_read(m, b, sizeof b, err), 0);

  /* The client goes away and comes back: the master keeps working, no EIO meanwhile. */
  bc_port_close(c);
  CHECK_EQ_INT(bc_port_read(m, b, sizeof b, err), 0);
  pfd.revents = 0;
  CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
  c = bc_port_open(slave, 9600, err);
  CHECK(c != NULL);
  if (c) {
    CHECK_EQ_INT(write_all(c, (const unsigned char *)"AT\r\n", 4, err), 4);
    CHECK_EQ_INT(read_exact(m, in, 4, err), 4);
    CHECK(memcmp(in, "AT\r\n", 4) == 0);
    CHECK_EQ_INT(write_all(m, (const unsigned char *)"\r\nOK\r\n", 6, err), 6);
    CHECK_EQ_INT(read_exact(c, in, 6, err), 6);
    CHECK(memcmp(in, "\r\nOK\r\n", 6) == 0);
    CHECK_EQ_INT(bc_port_read(c, b, sizeof b, err), 0);

    /* The module side vanishes: the client hears "closed", not an endless "nothing". */
    bc_port_close(m);
    m = NULL;
    CHECK_EQ_INT(read_until_event(c, err), BC_PORT_CLOSED);
    CHECK_EQ_STR(err, "closed");
    bc_port_close(c);
  }
  bc_port_close(m);
}

static void test_device_errors(void) {
  char err[BC_PORT_ERR_MAX], path[128];
  snprintf(path, sizeof path, "/dev/ttyUSB-bc260y-missing-%ld", (long)getpid());
  char want[BC_PORT_ERR_MAX];
  snprintf(want, sizeof want, "%s: No such file or directory", path);
  CHECK(bc_port_open(path, 9600, err) == NULL);
  CHECK_EQ_STR(err, want);

  CHECK(bc_port_open("/nonexistent-dir-bc260y/ttyUSB9", 0, err) == NULL);
  CHECK_EQ_STR(err, "/nonexistent-dir-bc260y/ttyUSB9: No such file or directory");

  /* A regular file must be refused, and left untouched. */
  char file[] = "/tmp/bc260y-port-XXXXXX";
  int fd = mkstemp(file);
  CHECK(fd >= 0);
  if (fd >= 0) {
    CHECK_EQ_INT(write(fd, "keep", 4), 4);
    close(fd);
    snprintf(want, sizeof want, "%s: not a terminal", file);
    CHECK(bc_port_open(file, 9600, err) == NULL);
    CHECK_EQ_STR(err, want);
    FILE *f = fopen(file, "r");
    char back[8] = "";
    CHECK(f && fgets(back, sizeof back, f));
    if (f) fclose(f);
    CHECK_EQ_STR(back, "keep");
    unlink(file);
  }
  CHECK(bc_port_open("/tmp", 9600, err) == NULL);
  CHECK_EQ_STR(err, "/tmp: not a terminal");
  /* /dev/null is a character device but not a tty. */
  CHECK(bc_port_open("/dev/null", 9600, err) == NULL);
  CHECK_EQ_STR(err, "/dev/null: not a terminal");

  CHECK(bc_port_open("", 9600, err) == NULL);
  CHECK(err[0] != '\0');
  CHECK(bc_port_open(NULL, 9600, err) == NULL);
  CHECK(err[0] != '\0');

  /* Unsupported baud on a port that would otherwise open. */
  char slave[128];
  bc_port *m = bc_port_open_pty(slave, sizeof slave, err);
  CHECK(m != NULL);
  if (m) {
    snprintf(want, sizeof want, "%s: unsupported baud rate 12345", slave);
    CHECK(bc_port_open(slave, 12345, err) == NULL);
    CHECK_EQ_STR(err, want);
    CHECK(bc_port_open(slave, -1, err) == NULL);
    CHECK(strstr(err, "unsupported baud rate") != NULL);
    bc_port *c = bc_port_open(slave, 0, err); /* 0 = the module's default 9600 */
    CHECK(c != NULL);
    bc_port_close(c);
    bc_port_close(m);
  }
  /* A slave path buffer too small is an error, not a truncated path. */
  char tiny[4];
  CHECK(bc_port_open_pty(tiny, sizeof tiny, err) == NULL);
  CHECK(strstr(err, "does not fit") != NULL);
}

static int listener(int *portno) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0 ||
      getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    if (s >= 0) close(s);
    return -1;
  }
  *portno = ntohs(a.sin_port);
  return s;
}

static void test_tcp(void) {
  char err[BC_PORT_ERR_MAX], spec[64];
  int portno = 0;
  int ls = listener(&portno);
  CHECK(ls >= 0);
  if (ls < 0) return;
  snprintf(spec, sizeof spec, "tcp://127.0.0.1:%d", portno);
  bc_port *p = bc_port_open(spec, 0, err);
  CHECK(p != NULL);
  if (!p) {
    fprintf(stderr, "bc_port_open(%s): %s\n", spec, err);
    close(ls);
    return;
  }
  CHECK_EQ_INT(bc_port_get_kind(p), BC_PORT_TCP);
  CHECK_EQ_STR(bc_port_name(p), spec);
  int peer = accept(ls, NULL, NULL);
  CHECK(peer >= 0);
  close(ls);

  unsigned char out[ALL_BYTES_LEN], in[ALL_BYTES_LEN];
  fill_all_bytes(out);
  CHECK_EQ_INT(bc_port_read(p, in, sizeof in, err), 0); /* nothing yet, not an error */
  CHECK_EQ_INT(write_all(p, out, sizeof out, err), (long)sizeof out);
  size_t got = 0;
  while (got < sizeof in) {
    ssize_t n = read(peer, in + got, sizeof in - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  CHECK_EQ_INT(got, sizeof in);
  CHECK(memcmp(in, out, sizeof out) == 0);

  CHECK_EQ_INT(write(peer, out, sizeof out), (long)sizeof out);
  memset(in, 0, sizeof in);
  CHECK_EQ_INT(read_exact(p, in, sizeof in, err), (long)sizeof in);
  CHECK(memcmp(in, out, sizeof out) == 0);

  /* ser2net goes away: reading says "closed"; writing says "closed" too, and must not
   * raise SIGPIPE (which would kill this test). */
  close(peer);
  CHECK_EQ_INT(read_until_event(p, err), BC_PORT_CLOSED);
  CHECK_EQ_STR(err, "closed");
  long w = 0;
  for (int i = 0; i < 50 && w >= 0; i++) {
    w = bc_port_write(p, "AT\r\n", 4, err);
    if (w >= 0) usleep(10000);
  }
  CHECK_EQ_INT(w, BC_PORT_CLOSED);
  CHECK_EQ_STR(err, "closed");
  bc_port_close(p);

  /* A port nobody listens on: bind one, close it, connect to it. */
  ls = listener(&portno);
  CHECK(ls >= 0);
  close(ls);
  snprintf(spec, sizeof spec, "tcp://127.0.0.1:%d", portno);
  char want[BC_PORT_ERR_MAX];
  snprintf(want, sizeof want, "%s: Connection refused", spec);
  CHECK(bc_port_open(spec, 0, err) == NULL);
  CHECK_EQ_STR(err, want);
  CHECK(bc_port_open("tcp://127.0.0.1:1", 0, err) == NULL);
  CHECK_EQ_STR(err, "tcp://127.0.0.1:1: Connection refused");

  /* Malformed specs: refused with the spec in the message, no lookup, no crash. */
  static const char *const bad[] = {"tcp://",           "tcp://host",         "tcp://host:99999",
                                    "tcp://host:",      "tcp://:80",          "tcp://host:0",
                                    "tcp://host:8o",    "tcp://host:-1",      "tcp://[::1]80",
                                    "tcp://[::1",       "tcp://host:123456"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    bc_port *q = bc_port_open(bad[i], 0, err);
    CHECK(q == NULL);
    if (q) bc_port_close(q);
    CHECK(strncmp(err, bad[i], strlen(bad[i])) == 0 && err[strlen(bad[i])] == ':');
    if (strncmp(err, bad[i], strlen(bad[i])) != 0) fprintf(stderr, "  %s -> %s\n", bad[i], err);
  }
  CHECK(bc_port_open("tcp://host:99999", 0, err) == NULL);
  CHECK_EQ_STR(err, "tcp://host:99999: bad port number (expected 1-65535)");
  CHECK(bc_port_open("tcp://host", 0, err) == NULL);
  CHECK_EQ_STR(err, "tcp://host: missing port (expected tcp://host:port)");

  /* Bracketed IPv6 literal parses (the connection itself may fail without IPv6). */
  int s6 = socket(AF_INET6, SOCK_STREAM, 0);
  if (s6 >= 0) {
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    socklen_t len = sizeof a6;
    if (bind(s6, (struct sockaddr *)&a6, sizeof a6) == 0 && listen(s6, 1) == 0 &&
        getsockname(s6, (struct sockaddr *)&a6, &len) == 0) {
      snprintf(spec, sizeof spec, "tcp://[::1]:%d", ntohs(a6.sin6_port));
      bc_port *q = bc_port_open(spec, 0, err);
      CHECK(q != NULL);
      if (!q) fprintf(stderr, "  %s -> %s\n", spec, err);
      bc_port_close(q);
    }
    close(s6);
  }
}

static void test_list(void) {
  char err[BC_PORT_ERR_MAX];
  int n = bc_port_list(NULL, 0, err);
  CHECK(n >= 0);
  bc_port_info infos[8];
  memset(infos, 0x5A, sizeof infos);
  int m = bc_port_list(infos, 8, err);
  CHECK(m >= 0);
  for (int i = 0; i < m && i < 8; i++) {
    CHECK(memchr(infos[i].name, '\0', sizeof infos[i].name) != NULL);
    CHECK(memchr(infos[i].description, '\0', sizeof infos[i].description) != NULL);
    CHECK(infos[i].name[0] == '/');
    CHECK(infos[i].usb_vid >= -1 && infos[i].usb_vid <= 0xFFFF);
    printf("port: %s [%s] %04x:%04x\n", infos[i].name, infos[i].description,
           (unsigned)infos[i].usb_vid & 0xFFFF, (unsigned)infos[i].usb_pid & 0xFFFF);
  }
}

static void test_null_safety(void) {
  char err[BC_PORT_ERR_MAX];
  unsigned char b[4];
  bc_port_close(NULL);
  CHECK_EQ_INT(bc_port_fd(NULL), -1);
  CHECK(bc_port_name(NULL) == NULL);
  CHECK_EQ_INT(bc_port_read(NULL, b, sizeof b, err), BC_PORT_CLOSED);
  CHECK_EQ_STR(err, "closed");
  CHECK_EQ_INT(bc_port_write(NULL, b, sizeof b, err), BC_PORT_CLOSED);
}

/* A fault that is not a hang-up is BC_PORT_ERROR with "<name>: <reason>", so that a caller
 * tells "reconnect" from "report" by the return value alone. The fd is swapped behind the
 * port's back for one opened the wrong way round (EBADF on read, then on write). */
static void test_fault_is_not_closed(void) {
  char slave[128], err[BC_PORT_ERR_MAX];
  unsigned char b[4] = "AT\r";
  bc_port *m = bc_port_open_pty(slave, sizeof slave, err);
  CHECK(m != NULL);
  if (!m) return;
  int wo = open("/dev/null", O_WRONLY);
  CHECK(wo >= 0 && dup2(wo, bc_port_fd(m)) == bc_port_fd(m));
  close(wo);
  CHECK_EQ_INT(bc_port_read(m, b, sizeof b, err), BC_PORT_ERROR);
  CHECK(strstr(err, "Bad file descriptor") != NULL && strncmp(err, bc_port_name(m), strlen(bc_port_name(m))) == 0);
  int ro = open("/dev/null", O_RDONLY);
  CHECK(ro >= 0 && dup2(ro, bc_port_fd(m)) == bc_port_fd(m));
  close(ro);
  CHECK_EQ_INT(bc_port_write(m, b, 3, err), BC_PORT_ERROR);
  CHECK(strstr(err, "Bad file descriptor") != NULL);
  bc_port_close(m);
}

/* A port has one owner: a second open of the same device fails at once, in this process
 * (two Modems on one port would each read half of the answers) and in another; a caller
 * that asks to share (BC_PORT_SHARED) may; once the owner closes, it opens again. */
static void test_exclusive(void) {
  char err[BC_PORT_ERR_MAX], slave[128], want[BC_PORT_ERR_MAX + 160];
  bc_port *m = bc_port_open_pty(slave, sizeof slave, err);
  CHECK(m != NULL);
  if (!m) return;
  bc_port *a = bc_port_open(slave, 0, err);
  CHECK(a != NULL);
  snprintf(want, sizeof want, "%s: already open (by this or another process)", slave);
  CHECK(bc_port_open(slave, 0, err) == NULL);
  CHECK_EQ_STR(err, want);
  CHECK(bc_port_open_with(slave, 0, 0, err) == NULL);
  /* another process: the lock is on the device, not on this process's descriptors */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    char cerr[BC_PORT_ERR_MAX];
    bc_port *c = bc_port_open(slave, 0, cerr);
    _exit(c == NULL && strstr(cerr, "already open") != NULL ? 0 : 1);
  }
  CHECK(pid > 0);
  int status = -1;
  if (pid > 0) CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* asked to share: it opens */
  bc_port *b = bc_port_open_with(slave, 0, BC_PORT_SHARED, err);
  CHECK(b != NULL);
  bc_port_close(b);
  /* the owner closes: the port is free again */
  bc_port_close(a);
  a = bc_port_open(slave, 0, err);
  CHECK(a != NULL);
  bc_port_close(a);
  /* the pty's own slave fd takes no lock: a client always gets the port */
  bc_port_close(m);
}

/* bc_port_wait_read: bytes already waiting come at once, however far the deadline; a deadline
 * that passed reads what is there without waiting; with nothing to read it returns 0 only
 * once the deadline has passed, never before (on a tty through the second descriptor, whose
 * reads last 0.1 s at most, so a 0.25 s deadline takes three of them; on the pty master
 * through poll); a peer that hung up is BC_PORT_CLOSED at once, not at the deadline. */
static void test_wait_read(void) {
  char slave[128], err[BC_PORT_ERR_MAX];
  unsigned char b[16];
  bc_port *m = bc_port_open_pty(slave, sizeof slave, err);
  CHECK(m != NULL);
  if (!m) return;
  bc_port *c = bc_port_open(slave, 0, err);
  CHECK(c != NULL);
  if (!c) {
    bc_port_close(m);
    return;
  }
  const uint64_t far = bc_port_now_ms() + 60000; /* a minute: never reached by a passing run */
  bc_port *ends[2] = {c, m};                     /* the tty (second descriptor), the master (poll) */
  for (int i = 0; i < 2; i++) {
    bc_port *to = ends[i], *from = ends[1 - i];
    CHECK_EQ_INT(write_all(from, (const unsigned char *)"OK", 2, err), 2);
    CHECK_EQ_INT(bc_port_wait_read(to, b, sizeof b, far, err), 2);
    CHECK(memcmp(b, "OK", 2) == 0);
    /* a deadline already passed: no wait, nothing there */
    CHECK_EQ_INT(bc_port_wait_read(to, b, sizeof b, bc_port_now_ms(), err), 0);
    CHECK_EQ_INT(bc_port_wait_read(to, b, sizeof b, 0, err), 0);
    /* nothing comes: 0, and not before the deadline */
    uint64_t deadline = bc_port_now_ms() + (i == 0 ? 250 : 30);
    CHECK_EQ_INT(bc_port_wait_read(to, b, sizeof b, deadline, err), 0);
    CHECK(bc_port_now_ms() >= deadline);
    CHECK_EQ_STR(err, "");
  }
  /* the module side has gone away: closed at once, long before the deadline */
  bc_port_close(m);
  CHECK_EQ_INT(bc_port_wait_read(c, b, sizeof b, far, err), BC_PORT_CLOSED);
  CHECK_EQ_STR(err, "closed");
  CHECK(bc_port_now_ms() < far);
  bc_port_close(c);
  CHECK_EQ_INT(bc_port_wait_read(NULL, b, sizeof b, far, err), BC_PORT_CLOSED);
}

int main(void) {
  test_exclusive();
  test_pty_both_ways();
  test_device_errors();
  test_tcp();
  test_list();
  test_null_safety();
  test_fault_is_not_closed();
  test_wait_read();
  return CHECK_DONE();
}
