/* port.c: opens serial devices (libserialport, else termios), raw TCP streams (ser2net)
 * and pseudo-terminal pairs, and does the non-blocking reads and writes the event loop
 * needs. Every error names the port and the reason ("/dev/ttyUSB9: No such file or
 * directory"); a peer that hung up is reported as BC_PORT_CLOSED ("closed"). Listing lives in
 * port_list.c. */
/* ptsname_r (thread-safe, unlike ptsname) is a GNU extension in glibc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifdef BC260Y_WITH_LIBSERIALPORT
#include <libserialport.h>
#endif

/* How long bc_port_open waits for a TCP connection before giving up: long enough for a
 * ser2net box across a slow link, short enough that a black-holed address does not
 * stall a script for the kernel's two minutes. */
#define BC_PORT_CONNECT_TIMEOUT_MS 10000

/* port.wait_fd before bc_port_wait_read first needed it, and when the port has none. */
#define WAIT_FD_UNTRIED (-1)
#define WAIT_FD_NONE (-2)
/* How long one blocking read on wait_fd lasts at most: the line's VTIME (in 0.1 s). */
#define WAIT_READ_SLICE_MS 100

struct bc_port {
  int fd;
  /* The pty's own slave fd, held open for the port's life (see bc_port_open_pty). */
  int slave_fd;
  /* With libserialport, the fd open_device took the exclusive lock on (see there). */
  int lock_fd;
  /* A tty's second, blocking descriptor for bc_port_wait_read, or WAIT_FD_UNTRIED /
   * WAIT_FD_NONE (see there). */
  int wait_fd;
  bc_port_kind kind;
  char *name;
#ifdef BC260Y_WITH_LIBSERIALPORT
  struct sp_port *sp; /* owns fd when the port was opened through libserialport */
#endif
};

static void set_err(char *err, const char *fmt, ...) {
  if (!err) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, BC_PORT_ERR_MAX, fmt, ap);
  va_end(ap);
}

/* The port owning fd (and its name, in the same allocation); on failure fd is closed. */
static bc_port *bc_port_new(const char *name, bc_port_kind kind, int fd, char *err) {
  size_t n = strlen(name) + 1;
  bc_port *p = calloc(1, sizeof *p + n);
  if (!p) {
    if (fd >= 0) close(fd);
    set_err(err, "%s: out of memory", name);
    return NULL;
  }
  p->fd = fd;
  p->slave_fd = -1;
  p->lock_fd = -1;
  p->wait_fd = WAIT_FD_UNTRIED;
  p->kind = kind;
  p->name = memcpy(p + 1, name, n);
  return p;
}

static int set_nonblock_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
  int fdfl = fcntl(fd, F_GETFD);
  if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) return -1;
  return 0;
}

/* ---- baud rates ---------------------------------------------------------------- */

/* Linux numbers these rates in order: B50..B38400 and B57600..B4000000 are two runs of
 * consecutive values (on most architectures the second run starts at CBAUDEX | 1, on
 * powerpc at 16), so the table holds the rates and each speed is computed from its index. */
static const int baud_table[] = {
    50,     75,     110,    134,     150,     200,     300,     600,     1200,    1800,
    2400,   4800,   9600,   19200,   38400,   57600,   115200,  230400,  460800,  500000,
    576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000};
_Static_assert(B75 == B50 + 1 && B38400 == B50 + 14 && B115200 == B57600 + 1 &&
                   B4000000 == B57600 + 14,
               "termios speeds are not the two consecutive runs baud_to_speed assumes");

/* Only the rates termios can name: the same set whichever backend opens the port, so a
 * script that works on a pty works on the real adapter. */
static int baud_to_speed(int baud, speed_t *out) {
  for (int i = 0; i < (int)(sizeof baud_table / sizeof baud_table[0]); i++)
    if (baud_table[i] == baud) {
      *out = i < 15 ? (speed_t)(B50 + i) : (speed_t)(B57600 + (i - 15));
      return 0;
    }
  return -1;
}

#ifdef BC260Y_WITH_LIBSERIALPORT
/* libserialport leaves VMIN=0: set it to 1 on the ports it opened. */
static int termios_vmin1(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) < 0) return -1;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  return tcsetattr(fd, TCSANOW, &t);
}
#endif

/* termios_raw's answer for an fd that is not a terminal (isatty is this same tcgetattr). */
#define TERMIOS_NOT_A_TTY (-2)

/* Raw 8N1, no flow control, no translation of CR/LF or anything else.
 * VMIN=1 VTIME=0, not 0/0: with O_NONBLOCK both return what is there at once, but Linux's
 * n_tty answers an idle 0/0 read with 0 instead of EAGAIN, which is indistinguishable
 * from the end of file a hang-up gives (a USB adapter pulled out, the pty master gone).
 * With VMIN=1 idle is EAGAIN and 0 means hang-up. 0, TERMIOS_NOT_A_TTY or -1 (errno). */
static int termios_raw(int fd, speed_t speed) {
  struct termios t;
  if (tcgetattr(fd, &t) < 0) return TERMIOS_NOT_A_TTY;
  cfmakeraw(&t);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
#ifdef CRTSCTS
  t.c_cflag &= ~(tcflag_t)CRTSCTS;
#endif
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (cfsetspeed(&t, speed) < 0) return -1;
  return tcsetattr(fd, TCSANOW, &t);
}

/* ---- TCP ----------------------------------------------------------------------- */

/* Non-blocking connect bounded by BC_PORT_CONNECT_TIMEOUT_MS; returns 0 or an errno. */
static int connect_one(int fd, const struct addrinfo *ai) {
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return 0;
  int e = errno;
  if (e != EINPROGRESS && e != EINTR) return e;
  struct pollfd pfd = {fd, POLLOUT, 0};
  for (;;) {
    int r = poll(&pfd, 1, BC_PORT_CONNECT_TIMEOUT_MS);
    if (r == 0) return ETIMEDOUT;
    if (r > 0) break;
    if ((e = errno) != EINTR) return e;
  }
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) return errno;
  return soerr;
}

/* "tcp://host:port" / "tcp://[v6]:port": the host, a decimal port 1-65535, a connection. */
static bc_port *open_tcp(const char *spec, char *err) {
  const char *rest = spec + 6, *hstart = rest, *hend, *colon, *why;
  char host[256];
  if (rest[0] == '[') {
    const char *close = memchr(rest, ']', strlen(rest));
    why = "expected tcp://[address]:port";
    if (!close || close[1] != ':') goto fail;
    hstart = rest + 1;
    hend = close;
    colon = close + 1;
  } else {
    colon = strrchr(rest, ':');
    why = "missing port (expected tcp://host:port)";
    if (!colon) goto fail;
    hend = colon;
  }
  size_t hlen = (size_t)(hend - hstart);
  why = "missing host (expected tcp://host:port)";
  if (hlen == 0) goto fail;
  why = "host name too long";
  if (hlen >= sizeof host) goto fail;
  /* The port is the spec's tail: digits only, so getaddrinfo takes it as a number. */
  const char *svc = colon + 1;
  size_t plen = strlen(svc);
  long portno = 0;
  why = "bad port number (expected 1-65535)";
  if (plen == 0 || plen > 5) goto fail;
  for (size_t i = 0; i < plen; i++) {
    if (svc[i] < '0' || svc[i] > '9') goto fail;
    portno = portno * 10 + (svc[i] - '0');
  }
  if (portno < 1 || portno > 65535) goto fail;
  memcpy(host, hstart, hlen);
  host[hlen] = '\0';

  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int g = getaddrinfo(host, svc, &hints, &res);
  if (g != 0) {
    why = g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g);
    goto fail;
  }
  int last = ECONNREFUSED, fd = -1;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    last = fd < 0 ? errno : connect_one(fd, ai);
    if (last && fd >= 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    why = strerror(last);
    goto fail;
  }
  /* AT commands are short lines: send each one now rather than wait for Nagle. */
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return bc_port_new(spec, BC_PORT_TCP, fd, err);
fail:
  set_err(err, "%s: %s", spec, why);
  return NULL;
}

/* ---- serial devices ------------------------------------------------------------ */

#ifdef BC260Y_WITH_LIBSERIALPORT
/* NULL when libserialport cannot or will not take the device (a pty, a socat link, a
 * permission problem): the caller then falls back to termios, whose open() errno is the
 * one reported, so the wording never depends on the backend. */
static bc_port *open_libserialport(const char *path, int baud) {
  struct sp_port *sp = NULL;
  if (sp_get_port_by_name(path, &sp) != SP_OK) return NULL;
  int fd = -1;
  if (sp_open(sp, SP_MODE_READ_WRITE) != SP_OK) {
    sp_free_port(sp);
    return NULL;
  }
  if (sp_set_baudrate(sp, baud) != SP_OK || sp_set_bits(sp, 8) != SP_OK ||
      sp_set_parity(sp, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(sp, 1) != SP_OK ||
      sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE) != SP_OK ||
      sp_get_port_handle(sp, &fd) != SP_OK || fd < 0 || set_nonblock_cloexec(fd) < 0 ||
      termios_vmin1(fd) < 0) {
    sp_close(sp);
    sp_free_port(sp);
    return NULL;
  }
  /* The fd belongs to sp (bc_port_close closes it through libserialport): set it after. */
  bc_port *p = bc_port_new(path, BC_PORT_SERIAL, -1, NULL);
  if (!p) {
    sp_close(sp);
    sp_free_port(sp);
    return NULL;
  }
  p->fd = fd;
  p->sp = sp;
  return p;
}
#endif

/* The device is opened once by this file, and that descriptor takes the advisory lock
 * serial tools take (picocom, tio, pyserial's exclusive=True): flock, so that a second
 * open of the same port, in this process or another, fails at once instead of both
 * readers taking halves of the module's answers. The lock is taken before any line
 * setting is touched, so a port someone else owns is not reconfigured either. flock and
 * not TIOCEXCL: TIOCEXCL outlives the close on a pty whose slave another fd keeps open
 * (the virtual module does) and refuses even a caller who asked to share. Without
 * libserialport this descriptor is the port's own; with it, libserialport opens the
 * device again and this one stays open beside it as lock_fd. */
static bc_port *open_device(const char *path, int baud, unsigned flags, char *err) {
  speed_t speed;
  struct stat st;
  int fd = -1, r;
  const char *pre = "", *why = NULL; /* why NULL: strerror(errno) */
  if (baud_to_speed(baud, &speed) < 0) {
    set_err(err, "%s: unsupported baud rate %d", path, baud);
    return NULL;
  }
  if (stat(path, &st) < 0) goto fail;
  /* A regular file or a directory is never a modem: refuse before opening it for
   * writing (open(O_RDWR) on a file would succeed and later writes would scribble). */
  why = "not a terminal";
  if (!S_ISCHR(st.st_mode)) goto fail;
  why = NULL;
  fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) goto fail;
  if (!(flags & BC_PORT_SHARED)) {
    do {
      r = flock(fd, LOCK_EX | LOCK_NB);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (errno == EWOULDBLOCK) why = "already open (by this or another process)";
      else pre = "cannot lock: ";
      goto fail;
    }
  }
#ifdef BC260Y_WITH_LIBSERIALPORT
  bc_port *sp = open_libserialport(path, baud);
  if (sp) {
    sp->lock_fd = fd;
    return sp;
  }
#endif
  r = termios_raw(fd, speed);
  if (r == TERMIOS_NOT_A_TTY) why = "not a terminal";
  if (r < 0) goto fail;
  return bc_port_new(path, BC_PORT_TTY, fd, err);
fail:
  set_err(err, "%s: %s%s", path, pre, why ? why : strerror(errno));
  if (fd >= 0) close(fd);
  return NULL;
}

bc_port *bc_port_open(const char *spec, int baud, char err[BC_PORT_ERR_MAX]) {
  return bc_port_open_with(spec, baud, 0, err);
}

bc_port *bc_port_open_with(const char *spec, int baud, unsigned flags, char err[BC_PORT_ERR_MAX]) {
  if (err) err[0] = '\0';
  if (!spec || !spec[0]) {
    set_err(err, "empty port name");
    return NULL;
  }
  if (strncmp(spec, "tcp://", 6) == 0) {
    if (baud >= 0) return open_tcp(spec, err);
  } else if (baud >= 0) {
    return open_device(spec, baud ? baud : 9600, flags, err);
  }
  set_err(err, "%s: unsupported baud rate %d", spec, baud);
  return NULL;
}

/* ---- pseudo-terminals ---------------------------------------------------------- */

/* The master end for the virtual module. The port keeps its own slave fd open for its
 * whole life. Why: while no slave fd is open, Linux makes the master's read fail with
 * EIO and poll report POLLHUP continuously, so an event loop watching the master would
 * spin (or conclude the client is gone) before the client opened the path, and again
 * each time a client closes and reopens it (a CLI reconnecting, a test run after
 * another). Holding the slave keeps the line up across clients. The cost: a client's
 * hang-up is not visible on the master (the virtual module does not need it), and bytes
 * the master writes while no client is attached wait in the slave's input queue. The
 * held fd also pins the raw termios set here, which a pty would otherwise keep anyway. */
bc_port *bc_port_open_pty(char *slave_path, size_t cap, char err[BC_PORT_ERR_MAX]) {
  if (err) err[0] = '\0';
  if (slave_path && cap) slave_path[0] = '\0';
  char path[128];
  int s = -1;
  const char *step = "posix_openpt";
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0) goto fail;
  step = "grantpt";
  if (grantpt(m) < 0) goto fail;
  step = "unlockpt";
  if (unlockpt(m) < 0) goto fail;
  step = "ptsname_r";
  int r = ptsname_r(m, path, sizeof path);
  if (r != 0) {
    errno = r;
    goto fail;
  }
  if (slave_path && strlen(path) >= cap) {
    close(m);
    set_err(err, "%s: slave path does not fit the buffer", path);
    return NULL;
  }
  step = "cannot set up the master";
  if (set_nonblock_cloexec(m) < 0) goto fail;
  /* Setting termios through the master sets the (shared) slave line: raw, no echo, no
   * ICRNL/ONLCR, so 0x0D, 0x0A, 0x1A, 0x00 and 0xFF pass unchanged both ways. */
  if (termios_raw(m, B9600) < 0) goto fail;
  step = "open slave";
  s = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (s < 0) goto fail;
  step = "set slave raw";
  if (termios_raw(s, B9600) < 0) goto fail;
  bc_port *p = bc_port_new(path, BC_PORT_PTY_MASTER, m, err);
  if (!p) {
    close(s);
    return NULL;
  }
  p->slave_fd = s;
  if (slave_path) strcpy(slave_path, path);
  return p;
fail: {
  int e = errno;
  if (s >= 0) close(s);
  if (m >= 0) close(m);
  set_err(err, "pty: %s: %s", step, strerror(e));
  return NULL;
}
}

/* ---- I/O ----------------------------------------------------------------------- */

int bc_port_fd(const bc_port *p) { return p ? p->fd : -1; }
bc_port_kind bc_port_get_kind(const bc_port *p) { return p ? p->kind : (bc_port_kind)0; }
const char *bc_port_name(const bc_port *p) { return p ? p->name : NULL; }

/* bc_port_read and bc_port_write: one loop, one error path. */
static long bc_port_io(bc_port *p, void *buf, size_t len, int writing, char *err) {
  if (err) err[0] = '\0';
  if (!p || p->fd < 0) goto closed;
  if (len == 0) return 0;
  for (;;) {
    ssize_t n;
    /* MSG_NOSIGNAL: a vanished TCP peer must be an error return, not a SIGPIPE that
     * kills the interpreter. */
    if (!writing)
      n = read(p->fd, buf, len);
    else if (p->kind == BC_PORT_TCP)
      n = send(p->fd, buf, len, MSG_NOSIGNAL);
    else
      n = write(p->fd, buf, len);
    if (n > 0 || (n == 0 && writing)) return (long)n;
    /* An idle socket or tty (VMIN=1, see termios_raw) answers EAGAIN, so a read of 0 is
     * end of file: the socket peer closed or the tty hung up. */
    if (n == 0) goto closed;
    int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return 0;
    /* EIO: a pty master with no slave, a tty after hang-up; ECONNRESET / EPIPE: a TCP
     * peer that went away. All mean the other end is gone, which callers handle
     * differently from a real fault (reconnect vs report). */
    if (e == EIO || e == ECONNRESET || e == EPIPE || e == ENXIO || e == ENODEV) goto closed;
    set_err(err, "%s: %s", p->name, strerror(e));
    return BC_PORT_ERROR;
  }
closed:
  set_err(err, "closed");
  return BC_PORT_CLOSED;
}

long bc_port_read(bc_port *p, void *buf, size_t cap, char err[BC_PORT_ERR_MAX]) {
  return bc_port_io(p, buf, cap, 0, err);
}

long bc_port_write(bc_port *p, const void *buf, size_t len, char err[BC_PORT_ERR_MAX]) {
  return bc_port_io(p, (void *)buf, len, 1, err); /* only written from */
}

/* ---- waiting for bytes ----------------------------------------------------------
 * A command's round trip waits for the answer. The cheapest wait is a blocking read, as a
 * hand-written client does: one syscall instead of poll then read. The event loop needs
 * the port's descriptor non-blocking, and O_NONBLOCK belongs to the open file, so a tty
 * gets a second descriptor of its own (the same device opened again, blocking) whose
 * reads are bounded by the line's VTIME: VMIN 0, VTIME 1 makes a read return at the first
 * byte or after 0.1 s with 0. The loop's non-blocking descriptor still answers EAGAIN when
 * idle (VTIME > 0) and 0 on a hang-up, as with VMIN 1. A read that returns 0 is told apart
 * (0.1 s gone, or a hang-up) by one non-blocking read. Waits shorter than 0.1 s, and ports
 * with no second descriptor (TCP, a pty master, a device that refuses a second open), use
 * poll and a non-blocking read. */

uint64_t bc_port_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  /* rounded to the nearest, as bc260y.core converts core.now()'s seconds */
  return (uint64_t)ts.tv_sec * 1000u + (uint32_t)(ts.tv_nsec + 500000) / 1000000u;
}

/* The port's blocking descriptor, opened at the first long wait; WAIT_FD_NONE when the
 * port cannot have one. */
static int wait_fd(bc_port *p) {
  if (p->wait_fd != WAIT_FD_UNTRIED) return p->wait_fd;
  p->wait_fd = WAIT_FD_NONE;
  if (p->kind != BC_PORT_TTY && p->kind != BC_PORT_SERIAL) return WAIT_FD_NONE;
  /* O_NONBLOCK for the open itself only: a tty without CLOCAL would wait for carrier. */
  int fd = open(p->name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return WAIT_FD_NONE;
  struct stat opened, own;
  struct termios t;
  int fl = fcntl(fd, F_GETFL);
  /* The same device (the path could name another by now), made blocking, VMIN 0 VTIME 1. */
  if (fstat(fd, &opened) != 0 || fstat(p->fd, &own) != 0 || !S_ISCHR(opened.st_mode) ||
      opened.st_rdev != own.st_rdev || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ||
      tcgetattr(p->fd, &t) != 0) {
    close(fd);
    return WAIT_FD_NONE;
  }
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = WAIT_READ_SLICE_MS / 100;
  if (tcsetattr(p->fd, TCSANOW, &t) != 0) {
    close(fd);
    return WAIT_FD_NONE;
  }
  p->wait_fd = fd;
  return fd;
}

long bc_port_wait_read(bc_port *p, void *buf, size_t cap, uint64_t deadline_ms,
                    char err[BC_PORT_ERR_MAX]) {
  if (!p || p->fd < 0 || cap == 0) return bc_port_read(p, buf, cap, err);
  for (;;) {
    uint64_t now = bc_port_now_ms();
    uint64_t left = now < deadline_ms ? deadline_ms - now : 0;
    int fd = left >= WAIT_READ_SLICE_MS ? wait_fd(p) : WAIT_FD_NONE;
    if (fd >= 0) {
      ssize_t n;
      do n = read(fd, buf, cap);
      while (n < 0 && errno == EINTR);
      if (n > 0) return (long)n;
      /* 0: the slice passed or the line hung up; an error: the port's own read says
       * which failure it is, in its words. Either way the non-blocking read decides. */
    } else if (left > 0) {
      struct pollfd pfd = {p->fd, POLLIN, 0};
      if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) < 0 && errno != EINTR) {
        set_err(err, "%s: poll: %s", p->name, strerror(errno));
        return BC_PORT_ERROR;
      }
    }
    long n = bc_port_read(p, buf, cap, err);
    if (n != 0 || left == 0) return n;
  }
}

void bc_port_close(bc_port *p) {
  if (!p) return;
  if (p->wait_fd >= 0) close(p->wait_fd);
#ifdef BC260Y_WITH_LIBSERIALPORT
  if (p->sp) {
    sp_close(p->sp);
    sp_free_port(p->sp);
    p->sp = NULL;
    p->fd = -1;
  }
#endif
  if (p->fd >= 0) close(p->fd);
  if (p->slave_fd >= 0) close(p->slave_fd);
  if (p->lock_fd >= 0) close(p->lock_fd);
  free(p);
}
