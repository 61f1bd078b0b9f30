/* bench_roundtrip: AT/OK round trips over a pseudo-terminal, through the full Lua API
 * (bc260y.open + m:at("AT") in Lua 5.4) against the same round trips done with raw C
 * write/read, in one run, on the same pty pair and against the same responder.
 *
 * Design: one program so that `make bench` needs nothing but the bench glob. It opens a
 * pty pair and forks a minimal responder on the master end (reads lines, answers each
 * with "\r\nOK\r\n"). The baseline is a plain C loop on the slave end: write "AT\r", poll,
 * read until "OK\r\n". The Lua side is spec/bench/roundtrip_client.lua, exec'd as a child
 * lua5.4 on the same slave path and driven over pipes; it times its own rounds and
 * reports the resident memory (VmRSS) of the Lua process with one modem open. The two
 * sides alternate in short rounds so that load changes hit both alike. Both rates come
 * from the same responder and the same kernel path, so the ratio isolates what the
 * library adds (engine, loop, futures, Lua) over a bare write/read.
 *
 * Usage: bench_roundtrip [N] (default 20000). Finds the sources from __FILE__ and the
 * built module from its own path; BC260Y_SOURCE_DIR / BC260Y_BINARY_DIR / LUA override.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void make_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) die("tcgetattr");
  cfmakeraw(&t);
  if (tcsetattr(fd, TCSANOW, &t) != 0) die("tcsetattr");
}

/* The responder: answers every CR- or LF-terminated line with "\r\nOK\r\n". It exits
 * when the master reads EOF/EIO (every slave closed) or its parent kills it. */
static void responder(int master) {
  char buf[4096];
  static const char ok[] = "\r\nOK\r\n";
  int in_line = 0;
  for (;;) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\r' || buf[i] == '\n') {
        if (in_line) {
          const char *p = ok;
          size_t left = sizeof ok - 1;
          while (left > 0) {
            ssize_t w = write(master, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(1);
            p += w;
            left -= (size_t)w;
          }
        }
        in_line = 0;
      } else {
        in_line = 1;
      }
    }
  }
}

/* The raw C client: n round trips on an open slave fd. Returns round trips per second. */
static double raw_client(int fd, long n) {
  char buf[256];
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    if (write(fd, "AT\r", 3) != 3) die("write");
    /* Read until the answer's last bytes "OK\r\n" have arrived. */
    size_t have = 0;
    for (;;) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, 2000) <= 0) {
        fprintf(stderr, "raw client: no answer\n");
        exit(1);
      }
      ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) die("read");
      have += (size_t)r;
      buf[have] = 0;
      if (have >= 4 && strstr(buf, "OK\r\n")) break;
      if (have >= sizeof buf - 1) have = 0;
    }
  }
  return (double)n / (now_s() - t0);
}

/* The directory part of path (in place). */
static void dirname_of(char *path) {
  char *slash = strrchr(path, '/');
  if (slash) *slash = 0;
  else strcpy(path, ".");
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  if (n <= 0) {
    fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  /* Where the sources and the built module are. */
  char source[PATH_MAX], binary[PATH_MAX];
  const char *env_src = getenv("BC260Y_SOURCE_DIR");
  const char *env_bin = getenv("BC260Y_BINARY_DIR");
  if (env_src) {
    snprintf(source, sizeof source, "%s", env_src);
  } else {
    snprintf(source, sizeof source, "%s", __FILE__); /* .../spec/bench/bench_roundtrip.c */
    dirname_of(source);
    dirname_of(source);
    dirname_of(source);
  }
  if (env_bin) {
    snprintf(binary, sizeof binary, "%s", env_bin);
  } else {
    /* The build tree is the nearest parent of this program holding lua/bc260y/core.so. */
    ssize_t len = readlink("/proc/self/exe", binary, sizeof binary - 1);
    if (len < 0) die("readlink /proc/self/exe");
    binary[len] = 0;
    for (;;) {
      dirname_of(binary);
      char probe[PATH_MAX + 32];
      snprintf(probe, sizeof probe, "%s/lua/bc260y/core.so", binary);
      if (access(probe, R_OK) == 0) break;
      if (strcmp(binary, "") == 0 || strcmp(binary, ".") == 0 || !strchr(binary, '/')) {
        fprintf(stderr, "bench_roundtrip: no lua/bc260y/core.so above this program; "
                        "set BC260Y_BINARY_DIR\n");
        return 1;
      }
    }
  }
  const char *lua = getenv("LUA") ? getenv("LUA") : "lua5.4";

  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("posix_openpt");
  make_raw(master);
  const char *slave_path = ptsname(master);
  if (!slave_path) die("ptsname");
  char path[128];
  snprintf(path, sizeof path, "%s", slave_path);

  /* A slave fd kept open by the parent for the whole run, so the pty never sees "all
   * slaves closed" between the two phases. */
  int keep = open(path, O_RDWR | O_NOCTTY);
  if (keep < 0) die("open slave");
  make_raw(keep);

  pid_t resp = fork();
  if (resp < 0) die("fork");
  if (resp == 0) {
    close(keep);
    responder(master);
  }

  /* The Lua side: a child lua5.4 on the same slave path, driven over pipes: it reads a
   * count on stdin, does that many m:at("AT") round trips, and answers the seconds they
   * took. The two sides then alternate in short rounds (C, Lua, C, Lua...), so that load
   * changes on a shared machine hit both alike; each rate is total trips / total time. */
  int to_lua[2], from_lua[2];
  if (pipe(to_lua) != 0 || pipe(from_lua) != 0) die("pipe");
  pid_t lua_pid = fork();
  if (lua_pid < 0) die("fork");
  if (lua_pid == 0) {
    char lpath[PATH_MAX * 2 + 64], cpath[PATH_MAX + 32], script[PATH_MAX + 64];
    snprintf(lpath, sizeof lpath, "%s/lua/?.lua;%s/lua/?/init.lua;;", source, source);
    snprintf(cpath, sizeof cpath, "%s/lua/?.so;;", binary);
    snprintf(script, sizeof script, "%s/spec/bench/roundtrip_client.lua", source);
    setenv("LUA_PATH", lpath, 1);
    setenv("LUA_CPATH", cpath, 1);
    dup2(to_lua[0], 0);
    dup2(from_lua[1], 1);
    close(to_lua[0]);
    close(to_lua[1]);
    close(from_lua[0]);
    close(from_lua[1]);
    close(master);
    close(keep);
    execlp(lua, lua, script, path, (char *)NULL);
    perror("exec lua5.4");
    _exit(127);
  }
  close(to_lua[0]);
  close(from_lua[1]);
  FILE *lua_in = fdopen(to_lua[1], "w");
  FILE *lua_out = fdopen(from_lua[0], "r");
  if (!lua_in || !lua_out) die("fdopen");
  char line[256];
  double rss_kib = 0, rss_after_kib = 0;
  /* The first line: the resident memory with one modem open. */
  if (!fgets(line, sizeof line, lua_out) || sscanf(line, "rss_open_kib=%lf", &rss_kib) != 1) {
    fprintf(stderr, "bench_roundtrip: the Lua side did not start: %s\n", line);
    return 1;
  }

  const long rounds = 20;
  long per_round = n / rounds > 0 ? n / rounds : 1;
  double raw_time = 0, lua_time = 0;
  long raw_trips = 0, lua_trips = 0;
  /* warm-up of both sides, not counted */
  raw_client(keep, per_round);
  fprintf(lua_in, "%ld\n", per_round);
  fflush(lua_in);
  if (!fgets(line, sizeof line, lua_out)) die("lua warm-up");
  for (long r = 0; r < rounds; r++) {
    double t0 = now_s();
    raw_client(keep, per_round);
    raw_time += now_s() - t0;
    raw_trips += per_round;
    fprintf(lua_in, "%ld\n", per_round);
    fflush(lua_in);
    double secs = 0;
    if (!fgets(line, sizeof line, lua_out) || sscanf(line, "secs=%lf", &secs) != 1) {
      fprintf(stderr, "bench_roundtrip: the Lua side failed: %s\n", line);
      return 1;
    }
    lua_time += secs;
    lua_trips += per_round;
  }
  fprintf(lua_in, "q\n");
  fflush(lua_in);
  if (fgets(line, sizeof line, lua_out)) sscanf(line, "rss_after_kib=%lf", &rss_after_kib);
  fclose(lua_in);
  fclose(lua_out);
  int status = 0;
  waitpid(lua_pid, &status, 0);
  close(keep);
  kill(resp, SIGTERM);
  waitpid(resp, NULL, 0);
  close(master);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "bench_roundtrip: the Lua side exited with status %d\n", status);
    return 1;
  }

  double raw_rate = (double)raw_trips / raw_time, lua_rate = (double)lua_trips / lua_time;
  double ratio = lua_rate / raw_rate;
  printf("bench_roundtrip: %ld AT/OK round trips each way over a pty against a C responder,\n"
         "  in %ld alternating rounds of %ld\n", raw_trips, rounds, per_round);
  printf("  raw C write/read   : %10.0f round trips/s\n", raw_rate);
  printf("  Lua API m:at(\"AT\"): %10.0f round trips/s\n", lua_rate);
  printf("  ratio Lua/raw C    : %10.2f   (target >= 0.50) %s\n", ratio,
         ratio >= 0.5 ? "ok" : "BELOW TARGET");
  printf("  RSS, Lua process with one open modem: %.0f KiB (%.2f MiB; target < 4 MiB) %s\n",
         rss_kib, rss_kib / 1024.0, rss_kib < 4096 ? "ok" : "ABOVE TARGET");
  printf("  RSS after the round trips           : %.0f KiB\n", rss_after_kib);
  return 0;
}
