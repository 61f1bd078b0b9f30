/* bench_parse.c: how fast the AT engine takes a module's output, against a plain memchr
 * line splitter measured in the same run on the same bytes and the same chunking. The
 * stream (>= 64 MiB, fixed seed) mixes responses, URCs, 2048-hex-digit +NNMI downlinks and
 * noise (garbage lines, NUL bytes, bare CRs). Also counts heap allocations while feeding:
 * the engine must allocate nothing after bc_at_new().
 * Prints: engine MB/s, memchr splitter MB/s, their ratio (target >= 0.25), allocations/MB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "at.h"
#include "bc260y.h"

/* ---- allocation counter: glibc's malloc family, wrapped in this program only ---------- */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_ASAN 1
#endif
#if defined(__GLIBC__) && !defined(BENCH_ASAN)
#define COUNT_ALLOCS 1
#endif

static volatile unsigned long long n_allocs;
#ifdef COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n) {
  n_allocs++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  n_allocs++;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  n_allocs++;
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
#endif

/* ---- the stream -------------------------------------------------------------------- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) { /* xorshift64*: fixed seed, same stream every run */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t put(uint8_t *buf, size_t off, const char *s) {
  size_t n = strlen(s);
  memcpy(buf + off, s, n);
  return off + n;
}

static uint8_t *make_stream(size_t target, size_t *len) {
  uint8_t *buf = malloc(target + 8192);
  if (!buf) return NULL;
  static const char hex[] = "0123456789ABCDEF";
  static const char *small[] = {
      "\r\n+QLWEVTIND: 3\r\n",
      "\r\nOK\r\n",
      "\r\n+CGPADDR: 0,\"11.168.11.169\"\r\n",
      "\r\n+QIND: \"FOTA\",\"DOWNLOADING\",512\r\n",
      "\r\n+CSCON:0\r\n",
      "\r\nBUFFERED=1,RECEIVED=1,DROPPED=0\r\n",
      "\r\n+QNBIOTEVENT: \"ENTER DEEPSLEEP\"\r\n",
      "\r\n+NNMI\r\n",
      "\r\n+CME ERROR: 959\r\n",
  };
  size_t off = 0;
  while (off < target) {
    uint64_t r = rng();
    unsigned kind = (unsigned)(r % 16);
    if (kind < 5) { /* a 1024-byte downlink: 2048 hex digits */
      off = put(buf, off, "\r\n+NNMI: 1024,");
      for (int i = 0; i < 2048; i++) buf[off++] = (uint8_t)hex[rng() & 15];
      off = put(buf, off, "\r\n");
    } else if (kind < 14) {
      off = put(buf, off, small[(r >> 8) % (sizeof small / sizeof small[0])]);
    } else { /* noise: a line of random printable bytes, NULs, a bare CR */
      size_t n = (size_t)((r >> 8) % 120) + 1;
      for (size_t i = 0; i < n; i++) buf[off++] = (uint8_t)(' ' + rng() % 95);
      if (r & (1u << 20)) buf[off++] = 0;
      buf[off++] = (r & (1u << 21)) ? '\r' : '\n';
    }
  }
  *len = off;
  return buf;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Random chunk sizes (1..4096, like reads from a serial port), the same for both. */
static uint32_t *make_chunks(size_t len, size_t *n_chunks) {
  size_t cap = len / 16 + 16, n = 0, off = 0;
  uint32_t *c = malloc(cap * sizeof *c);
  if (!c) return NULL;
  while (off < len) {
    if (n == cap) {
      cap *= 2;
      uint32_t *nc = realloc(c, cap * sizeof *c);
      if (!nc) {
        free(c);
        return NULL;
      }
      c = nc;
    }
    uint64_t r = rng();
    uint32_t k = (r & 3) ? (uint32_t)(r % 4096) + 1 : (uint32_t)(r % 64) + 1;
    if (k > len - off) k = (uint32_t)(len - off);
    c[n++] = k;
    off += k;
  }
  *n_chunks = n;
  return c;
}

/* The baseline: split on LF with memchr, assembling lines across chunks into a buffer. */
static unsigned long long memchr_split(const uint8_t *s, size_t len, const uint32_t *chunks,
                                       size_t n_chunks, char *line, size_t line_max) {
  unsigned long long lines = 0, sum = 0;
  size_t line_len = 0, off = 0;
  for (size_t c = 0; c < n_chunks; c++) {
    const uint8_t *p = s + off, *end = p + chunks[c];
    off += chunks[c];
    while (p < end) {
      const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
      const uint8_t *stop = nl ? nl : end;
      size_t seg = (size_t)(stop - p);
      if (line_len + seg <= line_max) memcpy(line + line_len, p, seg);
      line_len += seg;
      if (!nl) break;
      if (line_len) {
        lines++;
        sum += (unsigned char)line[0];
      }
      line_len = 0;
      p = nl + 1;
    }
  }
  (void)len;
  return lines + (sum & 1);
}

int main(int argc, char **argv) {
  size_t target = (size_t)64 << 20;
  if (argc > 1) target = (size_t)strtoull(argv[1], NULL, 10) << 20; /* MiB, for quick runs */
  size_t len = 0, n_chunks = 0;
  uint8_t *stream = make_stream(target, &len);
  uint32_t *chunks = stream ? make_chunks(len, &n_chunks) : NULL;
  char *line = malloc(8192);
  if (!stream || !chunks || !line) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg); /* the library's own tables, as the binding uses them */
  double mb = (double)len / (1024.0 * 1024.0);
  double best_engine = 1e9, best_memchr = 1e9;
  unsigned long long allocs = 0, events = 0, responses = 0, split_lines = 0;
  static const char cmd_text[] = "AT+CGPADDR?";
  bc_expect shapes;
  bc_expect_for(cmd_text, sizeof cmd_text - 1, &shapes);
  bc_at_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.text = cmd_text;
  cmd.len = sizeof cmd_text - 1;
  cmd.expect = shapes.match;
  cmd.n_expect = shapes.n;
  cmd.total_ms = 1000000; /* time stands still in the bench: no timeouts */
  bc_at_counters k = {0};
  for (int round = 0; round < 3; round++) {
    bc_at_engine *at = bc_at_new(&cfg);
    if (!at) {
      fprintf(stderr, "bc_at_new failed\n");
      return 1;
    }
    unsigned long long a0 = n_allocs;
    double t0 = now_s();
    size_t off = 0;
    events = 0;
    responses = 0;
    for (size_t c = 0; c < n_chunks; c++) {
      size_t n = chunks[c], done = 0;
      /* Keep a command running, so that the stream's OKs and +CGPADDR lines go down the
       * answer path and not only the URC/unknown one. */
      if (bc_at_pending(at) == 0 && bc_at_submit(at, &cmd) == 0) {
        size_t out_len;
        bc_at_output(at, &out_len);
        bc_at_output_consumed(at, out_len, 0);
      }
      while (done < n) {
        done += bc_at_feed(at, stream + off + done, n - done, 0);
        bc_at_event e;
        while (bc_at_next_event(at, &e)) {
          events++;
          responses += e.type == BC_AT_EV_RESPONSE;
        }
      }
      off += n;
    }
    double t1 = now_s();
    allocs = n_allocs - a0;
    k = *bc_at_get_counters(at);
    bc_at_free(at);
    double t2 = now_s();
    split_lines = memchr_split(stream, len, chunks, n_chunks, line, 8192);
    double t3 = now_s();
    if (t1 - t0 < best_engine) best_engine = t1 - t0;
    if (t3 - t2 < best_memchr) best_memchr = t3 - t2;
  }
  double e_mbs = mb / best_engine, m_mbs = mb / best_memchr;
  printf("stream: %.1f MiB in %zu chunks, %llu lines (memchr), %llu engine lines, "
         "%llu urcs, %llu unknown, %llu overflows, %llu events (%llu responses)\n",
         mb, n_chunks, split_lines, (unsigned long long)k.lines, (unsigned long long)k.urcs,
         (unsigned long long)k.unknown, (unsigned long long)k.overflows, events, responses);
  printf("engine: %.0f MB/s\n", e_mbs);
  printf("memchr splitter: %.0f MB/s\n", m_mbs);
  printf("ratio: %.2f (target >= 0.25)\n", e_mbs / m_mbs);
#ifdef COUNT_ALLOCS
  printf("allocations per MB: %.3g (%llu while feeding)\n", (double)allocs / mb, allocs);
#else
  (void)allocs;
  printf("allocations per MB: not counted (no glibc malloc hooks in this build)\n");
#endif
  free(stream);
  free(chunks);
  free(line);
  int ok = e_mbs / m_mbs >= 0.25;
#ifdef BENCH_ASAN
  printf("(sanitizer build: speeds are not judged)\n");
  ok = 1;
#endif
#ifdef COUNT_ALLOCS
  ok = ok && allocs == 0;
#endif
  return ok ? 0 : 1;
}
