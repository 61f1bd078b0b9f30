/* lwm2m.h: the LwM2M server side of `bc260y platform`, on libcoap: registration
 * (/rd), update and deregistration (/rd/<id>), lifetime expiry, the observation of
 * 19/0/0 whose notifications are the uplinks, and writes to 19/1/0 (the downlinks). */
#ifndef BC260Y_PLATFORM_LWM2M_H
#define BC260Y_PLATFORM_LWM2M_H

#include <stddef.h>

struct store;
struct lwm2m;

struct lwm2m *lwm2m_new(struct store *store, const char *bind_addr, int port, char *err,
                        size_t errsz);
void lwm2m_free(struct lwm2m *l);
int lwm2m_port(const struct lwm2m *l);
/* The file descriptor to wait on (readable: call lwm2m_process). */
int lwm2m_fd(const struct lwm2m *l);
/* Milliseconds until lwm2m_process must run anyway (retransmissions, observations and
 * downlinks due, lifetimes ending); -1: nothing due. */
long lwm2m_timeout_ms(struct lwm2m *l);
void lwm2m_process(struct lwm2m *l);

#endif
