/* store.h: what `bc260y platform` knows about its devices (registrations, uplinks,
 * downlinks, the session's timeline), shared by the CoAP side (lwm2m.c) and the HTTP
 * side (http.c). Single-threaded: both sides run in main.c's one loop. Every list is
 * bounded so that a long class session cannot exhaust the lab server's memory. */
#ifndef BC260Y_PLATFORM_STORE_H
#define BC260Y_PLATFORM_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_DEVICES 1024
#define STORE_MAX_ITEMS 1000     /* uplinks, downlinks per device (oldest dropped) */
#define STORE_MAX_EVENTS 2000    /* timeline entries per device (oldest dropped) */
#define STORE_MAX_EP 64          /* endpoint name (the IMEI) */
#define STORE_MAX_LINKS 1024     /* the registration's object links */
#define STORE_MAX_TOKEN 8

enum device_state { DEV_REGISTERED, DEV_OBSERVED, DEV_DEREGISTERED, DEV_EXPIRED };

struct uplink {
  double time; /* wall clock, epoch seconds */
  int con;     /* 1: CON notification, 0: NON */
  size_t len;
  uint8_t *data;
};

enum downlink_state { DL_QUEUED, DL_SENT, DL_DELIVERED, DL_FAILED };

struct downlink {
  double time;      /* when it was queued */
  double done_time; /* when the device answered (or the write failed) */
  enum downlink_state state;
  uint8_t token[STORE_MAX_TOKEN];
  size_t token_len;
  size_t len;
  uint8_t *data;
};

struct event {
  double time;
  char what[16];   /* register, update, observe, uplink, downlink, delivered, ... */
  char detail[48];
};

struct device {
  char ep[STORE_MAX_EP + 1];
  int id;                      /* its registration resource: rd/<id> */
  enum device_state state;
  long lifetime;               /* seconds */
  double registered_at, last_seen; /* wall clock */
  double last_update_mono;     /* monotonic: the lifetime counts from here */
  char links[STORE_MAX_LINKS + 1];
  void *session;               /* the CoAP session (lwm2m.c holds a reference) */
  void *resource;              /* rd/<id> (lwm2m.c) */
  int observe_due;             /* the observation of 19/0/0 is still to be sent */
  uint8_t obs_token[STORE_MAX_TOKEN];
  size_t obs_token_len;
  struct uplink *uplinks; size_t n_uplinks;
  struct downlink *downlinks; size_t n_downlinks;
  struct event *events; size_t n_events;
};

struct store {
  struct device *devices[STORE_MAX_DEVICES];
  size_t n_devices;
};

double store_wall_now(void);
double store_mono_now(void);

void store_init(struct store *s);
void store_free(struct store *s);
struct device *store_find(struct store *s, const char *ep);
/* The device named ep, created when new (NULL when the store is full). */
struct device *store_get(struct store *s, const char *ep);
const char *store_state_name(enum device_state st);

void device_event(struct device *d, const char *what, const char *detail);
int device_add_uplink(struct device *d, int con, const uint8_t *data, size_t len);
struct downlink *device_add_downlink(struct device *d, const uint8_t *data, size_t len);

#endif
