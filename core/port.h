/* port.h: opens a port from a spec string and hands back a non-blocking fd.
 *   "/dev/ttyUSB0" ... : libserialport (baud, 8N1, no flow control) when built with it;
 *   any tty it refuses (pseudo-terminals, socat links) or every tty without it: termios;
 *   "tcp://host:port"  : a raw TCP stream (ser2net).
 * Also lists serial ports and creates pseudo-terminal pairs for the virtual module.
 * Errors name the port and the reason: "/dev/ttyUSB9: No such file or directory".
 */
#ifndef BC260Y_PORT_H
#define BC260Y_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BC_PORT_ERR_MAX 256

typedef struct bc_port bc_port;

typedef enum bc_port_kind { BC_PORT_SERIAL = 1, BC_PORT_TTY, BC_PORT_TCP, BC_PORT_PTY_MASTER } bc_port_kind;

/* baud 0 means 9600 (the BC260Y-CN default); only rates termios names (50..4000000) are
 * accepted, whichever backend opens the port; tcp:// ignores baud. A path that is not a
 * character device or not a tty is refused ("<path>: not a terminal"). tcp:// connects
 * with a 10 s bound. NULL on failure with err filled: "<spec>: <reason>".
 * A device (a serial port, a pty slave) is opened exclusively: an advisory lock (flock,
 * as serial tools take it) makes a second exclusive open of the same device, in this
 * process or another, fail at once with "<path>: already open (by this or another
 * process)". tcp:// takes no lock: the server decides who may connect. */
bc_port *bc_port_open(const char *spec, int baud, char err[BC_PORT_ERR_MAX]);

#define BC_PORT_SHARED 1u /* bc_port_open_with: take no lock, and ignore another opener's */
/* bc_port_open with flags: 0 is bc_port_open. */
bc_port *bc_port_open_with(const char *spec, int baud, unsigned flags, char err[BC_PORT_ERR_MAX]);
/* A new pseudo-terminal pair: returns the master end (raw, non-blocking) and writes the
 * slave's path (/dev/pts/N) into slave_path. Both sides are raw (no echo, no CR/LF
 * translation). The port holds a slave fd open for its life, so the master never reads
 * EIO or polls POLLHUP before a client opens the path or between a client's close and
 * reopen; in exchange the master does not learn of a client's hang-up, and what it
 * writes while no client is attached waits in the slave's queue. */
bc_port *bc_port_open_pty(char *slave_path, size_t cap, char err[BC_PORT_ERR_MAX]);

int bc_port_fd(const bc_port *p);
bc_port_kind bc_port_get_kind(const bc_port *p);
const char *bc_port_name(const bc_port *p);

/* Failures of bc_port_read / bc_port_write: a hang-up, which callers handle by reconnecting,
 * is told from a fault, which they report, by the return value alone. */
#define BC_PORT_ERROR (-1)  /* a fault: err is "<name>: <strerror>" */
#define BC_PORT_CLOSED (-2) /* the peer hung up (socket EOF/reset/EPIPE, tty hang-up, EIO on
                            a pty) or p is NULL: err is "closed" */

/* Non-blocking I/O. read: >0 bytes, 0 nothing available now, BC_PORT_CLOSED or BC_PORT_ERROR.
 * write: bytes written (possibly 0 when it would block), BC_PORT_CLOSED or BC_PORT_ERROR; never
 * raises SIGPIPE. EINTR is retried. err may be NULL. */
long bc_port_read(bc_port *p, void *buf, size_t cap, char err[BC_PORT_ERR_MAX]);
long bc_port_write(bc_port *p, const void *buf, size_t len, char err[BC_PORT_ERR_MAX]);

/* The clock of bc_port_wait_read's deadlines: CLOCK_MONOTONIC in milliseconds, rounded to
 * the nearest (bc260y.core's core.now() is the same clock in seconds). */
uint64_t bc_port_now_ms(void);

/* Blocks until bytes come or deadline_ms passes (bc_port_now_ms's clock; UINT64_MAX: no
 * deadline) and reads them: > 0 bytes, 0 when none came by the deadline (a deadline
 * already passed reads what the kernel holds now, without waiting), BC_PORT_CLOSED or
 * BC_PORT_ERROR as bc_port_read. For a caller with nothing else to do meanwhile (a command's
 * round trip, at_exchange.h). How it waits is the port's business: on a tty a second,
 * blocking descriptor of the device whose reads the line's VMIN 0 / VTIME 1 bound to
 * 0.1 s (the port's own descriptor stays non-blocking for an event loop); TCP, a pty
 * master and short waits use poll. */
long bc_port_wait_read(bc_port *p, void *buf, size_t cap, uint64_t deadline_ms,
                    char err[BC_PORT_ERR_MAX]);

/* Closes the fd(s) and frees p; NULL is a no-op. Not idempotent on the same pointer:
 * the caller forgets p (the Lua binding clears its reference). */
void bc_port_close(bc_port *p);

typedef struct bc_port_info {
  char name[128];
  char description[128];
  int usb_vid, usb_pid; /* -1 when not a USB port */
} bc_port_info;
/* Fills up to cap entries; returns how many ports exist (may exceed cap), or -1 on error.
 * Without libserialport: scans /dev/ttyUSB*, /dev/ttyACM*, /dev/ttyS* with sysfs VID/PID. */
int bc_port_list(bc_port_info *out, int cap, char err[BC_PORT_ERR_MAX]);

#ifdef __cplusplus
}
#endif

#endif
