/* store.c: the platform's record of devices, their uplinks, downlinks and timeline
 * (see store.h). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double store_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double store_mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void store_init(struct store *s) { memset(s, 0, sizeof *s); }

static void device_free(struct device *d) {
  for (size_t i = 0; i < d->n_uplinks; i++) free(d->uplinks[i].data);
  for (size_t i = 0; i < d->n_downlinks; i++) free(d->downlinks[i].data);
  free(d->uplinks);
  free(d->downlinks);
  free(d->events);
  free(d);
}

void store_free(struct store *s) {
  for (size_t i = 0; i < s->n_devices; i++) device_free(s->devices[i]);
  s->n_devices = 0;
}

struct device *store_find(struct store *s, const char *ep) {
  for (size_t i = 0; i < s->n_devices; i++)
    if (strcmp(s->devices[i]->ep, ep) == 0) return s->devices[i];
  return NULL;
}

struct device *store_get(struct store *s, const char *ep) {
  struct device *d = store_find(s, ep);
  if (d) return d;
  if (s->n_devices == STORE_MAX_DEVICES || strlen(ep) > STORE_MAX_EP) return NULL;
  d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->uplinks = calloc(STORE_MAX_ITEMS, sizeof *d->uplinks);
  d->downlinks = calloc(STORE_MAX_ITEMS, sizeof *d->downlinks);
  d->events = calloc(STORE_MAX_EVENTS, sizeof *d->events);
  if (!d->uplinks || !d->downlinks || !d->events) {
    device_free(d);
    return NULL;
  }
  strcpy(d->ep, ep);
  s->devices[s->n_devices++] = d;
  d->id = (int)s->n_devices; /* ids are never reused: rd/<id> names one device for good */
  d->state = DEV_DEREGISTERED;
  return d;
}

const char *store_state_name(enum device_state st) {
  switch (st) {
  case DEV_REGISTERED: return "registered";
  case DEV_OBSERVED: return "observed";
  case DEV_DEREGISTERED: return "deregistered";
  case DEV_EXPIRED: return "expired";
  }
  return "?";
}

void device_event(struct device *d, const char *what, const char *detail) {
  if (d->n_events == STORE_MAX_EVENTS) {
    memmove(d->events, d->events + 1, (STORE_MAX_EVENTS - 1) * sizeof *d->events);
    d->n_events--;
  }
  struct event *e = &d->events[d->n_events++];
  e->time = store_wall_now();
  snprintf(e->what, sizeof e->what, "%s", what);
  snprintf(e->detail, sizeof e->detail, "%s", detail ? detail : "");
}

static uint8_t *copy_bytes(const uint8_t *data, size_t len) {
  uint8_t *p = malloc(len ? len : 1);
  if (p && len) memcpy(p, data, len);
  return p;
}

int device_add_uplink(struct device *d, int con, const uint8_t *data, size_t len) {
  uint8_t *copy = copy_bytes(data, len);
  if (!copy) return -1;
  if (d->n_uplinks == STORE_MAX_ITEMS) {
    free(d->uplinks[0].data);
    memmove(d->uplinks, d->uplinks + 1, (STORE_MAX_ITEMS - 1) * sizeof *d->uplinks);
    d->n_uplinks--;
  }
  struct uplink *u = &d->uplinks[d->n_uplinks++];
  u->time = store_wall_now();
  u->con = con;
  u->len = len;
  u->data = copy;
  return 0;
}

struct downlink *device_add_downlink(struct device *d, const uint8_t *data, size_t len) {
  uint8_t *copy = copy_bytes(data, len);
  if (!copy) return NULL;
  if (d->n_downlinks == STORE_MAX_ITEMS) {
    free(d->downlinks[0].data);
    memmove(d->downlinks, d->downlinks + 1, (STORE_MAX_ITEMS - 1) * sizeof *d->downlinks);
    d->n_downlinks--;
  }
  struct downlink *w = &d->downlinks[d->n_downlinks++];
  memset(w, 0, sizeof *w);
  w->time = store_wall_now();
  w->state = DL_QUEUED;
  w->len = len;
  w->data = copy;
  return w;
}
