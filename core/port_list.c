/* port_list.c: enumerates the serial ports a user could pass to bc_port_open, with a
 * description and the USB vendor/product ids (to spot the BC260Y's USB-UART adapter).
 * With libserialport it asks the library; without, it scans /dev and reads sysfs. */
#include "port.h"

#include <stdio.h>
#include <string.h>

#ifdef BC260Y_WITH_LIBSERIALPORT
#include <libserialport.h>
#else
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <linux/serial.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#ifdef BC260Y_WITH_LIBSERIALPORT

static void fill(bc_port_info *o, const char *name, const char *desc, int vid, int pid) {
  snprintf(o->name, sizeof o->name, "%s", name ? name : "");
  snprintf(o->description, sizeof o->description, "%s", desc ? desc : "");
  o->usb_vid = vid;
  o->usb_pid = pid;
}

int bc_port_list(bc_port_info *out, int cap, char err[BC_PORT_ERR_MAX]) {
  if (err) err[0] = '\0';
  struct sp_port **list = NULL;
  enum sp_return r = sp_list_ports(&list);
  if (r != SP_OK) {
    char *msg = sp_last_error_message();
    if (err) snprintf(err, BC_PORT_ERR_MAX, "list ports: %s", msg ? msg : "libserialport failed");
    if (msg) sp_free_error_message(msg);
    return -1;
  }
  int n = 0;
  for (; list[n]; n++) {
    if (!out || n >= cap) continue;
    int vid = -1, pid = -1;
    if (sp_get_port_transport(list[n]) == SP_TRANSPORT_USB &&
        sp_get_port_usb_vid_pid(list[n], &vid, &pid) != SP_OK)
      vid = pid = -1;
    fill(&out[n], sp_get_port_name(list[n]), sp_get_port_description(list[n]), vid, pid);
  }
  sp_free_port_list(list);
  return n;
}

#else

/* Reads the first line of a small sysfs file (a sysfs attribute arrives in one read);
 * 0 on success. open/read rather than stdio: the calls the port code makes anyway. */
static int read_line(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  for (char *c = buf; *c; c++)
    if (*c == '\r' || *c == '\n') *c = '\0';
  return 0;
}

/* A sysfs USB id ("1a86"): hexadecimal digits up to the first other character. */
static int hex_id(const char *s) {
  int v = 0;
  for (; v <= 0xffff; s++) { /* ids are 16 bits: no overflow on a malformed file */
    int c = *s | 0x20; /* lower case; digits unchanged */
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + d;
  }
  return v;
}

/* The kernel lists ttyS0..31 whether or not a UART is behind them; like libserialport,
 * keep only those whose serial_struct names a real UART type. */
static int real_8250(const char *dev) {
  int fd = open(dev, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct serial_struct ss;
  /* PORT_UNKNOWN: the kernel's (linux/serial.h), no name of ours */
  int ok = ioctl(fd, TIOCGSERIAL, &ss) == 0 && ss.type != PORT_UNKNOWN;
  close(fd);
  return ok;
}

/* Fills o for the device node dev; -1 when it is not a port. */
static int describe(const char *dev, bc_port_info *o) {
  /* Read in this order once the walk finds idVendor (vid, pid, description). */
  static const char attrs[3][11] = {"/idVendor", "/idProduct", "/product"};
  const char *base = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
  char link[PATH_MAX], real[PATH_MAX + 16], val[128];
  int *vid = &o->usb_vid, *pid = &o->usb_pid;
  *vid = *pid = -1;
  snprintf(link, sizeof link, "/sys/class/tty/%s/device", base);
  if (!realpath(link, real)) return -1; /* no device behind the node: not a port */
  /* Native UARTs: the driver link says serial8250 on older kernels and "port"
   * (serial-base bus) on newer ones, so probe every ttyS rather than trust it. */
  if (strncmp(base, "ttyS", 4) == 0 && !real_8250(dev)) return -1;
  /* Like libserialport, a native port is described by its name; USB ones get their
   * product string below. */
  snprintf(o->name, sizeof o->name, "%s", dev);
  snprintf(o->description, sizeof o->description, "%s", base);
  /* Walk up from the interface towards the USB device, which carries idVendor. */
  for (int depth = 0; depth < 6 && *vid < 0; depth++) {
    size_t len = strlen(real);
    for (int k = 0; k < 3; k++) {
      memcpy(real + len, attrs[k], sizeof attrs[k]);
      if (read_line(real, val, sizeof val) < 0) {
        if (k == 0) break; /* not the USB device: one level up */
      } else if (k < 2) {
        *(k ? pid : vid) = hex_id(val);
      } else {
        snprintf(o->description, sizeof o->description, "%s", val);
      }
    }
    real[len] = '\0';
    char *slash = strrchr(real, '/');
    if (!slash || slash == real) break;
    *slash = '\0';
  }
  return 0;
}

int bc_port_list(bc_port_info *out, int cap, char err[BC_PORT_ERR_MAX]) {
  if (err) err[0] = '\0';
  static const char patterns[][13] = {"/dev/ttyUSB*", "/dev/ttyACM*", "/dev/ttyS*"}; /* in place */
  int n = 0;
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    glob_t g;
    if (glob(patterns[i], 0, NULL, &g) != 0) continue; /* none of that kind */
    for (size_t j = 0; j < g.gl_pathc; j++) {
      bc_port_info scratch; /* ports past cap are counted, not kept */
      if (describe(g.gl_pathv[j], out && n < cap ? &out[n] : &scratch) == 0) n++;
    }
    globfree(&g);
  }
  return n;
}

#endif
