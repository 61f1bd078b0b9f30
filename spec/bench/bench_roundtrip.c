/* bench_roundtrip: AT/OK round trips over a pseudo-terminal, through the full Lua API
 * (bc260y.open + m:at("AT") in Lua 5.4) against the same round trips done by a plain C
 * client (blocking write, blocking read until "OK"), in one run, on the same pty pair and
 * against the same responder.
 *
 * It prints, each against its target with PASS or MISS (figures, never assertions):
 *  - the ratio of the Lua rate to the raw C rate (target >= 0.8). The two clients
 *    alternate in short batches (C, Lua, Lua, C, C, Lua...) so that load changes on a
 *    shared machine hit both alike; each rate is total trips / total time.
 *  - the CPU instructions the Lua process spends per round trip (target <= 15,000), the
 *    machine-independent figure: callgrind counts a client doing N1 and one doing N2
 *    round trips, and (I(N2) - I(N1)) / (N2 - N1) cancels start-up and shutdown. The raw
 *    C client is counted the same way, for scale. Skipped when valgrind is not installed.
 *  - the resident memory (VmRSS) of a Lua process with one open modem (target < 4 MiB).
 *
 * Design: one program so that `make bench` needs nothing but the bench glob. It opens a
 * pty pair and forks a minimal responder on the master end (reads lines, answers each
 * with "\r\nOK\r\n"). The Lua side is spec/bench/roundtrip_client.lua, exec'd as a child
 * lua5.4 on the same slave path and driven over pipes; it times its own batches.
 *
 * Usage: bench_roundtrip [N] (default 20000). Finds the sources from __FILE__ and the
 * built module from its own path; BC260Y_SOURCE_DIR / BC260Y_BINARY_DIR / LUA / VALGRIND
 * override. `bench_roundtrip --raw-client PATH N` is the raw C client alone (what the
 * instruction count runs under callgrind).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* The raw C client: n round trips on an open, blocking slave fd, the way a hand-written
 * client does them: write the command, read until the answer's last bytes "OK\r\n". No
 * poll: a blocking read is the cheapest wait there is. */
static void raw_client(int fd, long n) {
  char buf[256];
  for (long i = 0; i < n; i++) {
    if (write(fd, "AT\r", 3) != 3) die("write");
    size_t have = 0;
    for (;;) {
      ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) die("read");
      have += (size_t)r;
      buf[have] = 0;
      if (have >= 4 && strstr(buf, "OK\r\n")) break;
      if (have >= sizeof buf - 1) have = 0;
    }
  }
}

/* The directory part of path (in place). */
static void dirname_of(char *path) {
  char *slash = strrchr(path, '/');
  if (slash) *slash = 0;
  else strcpy(path, ".");
}

/* Where the sources, the built module and the interpreter are. */
static char source[PATH_MAX], binary[PATH_MAX];
static const char *lua = "lua5.4";

static void find_dirs(void) {
  const char *env_src = getenv("BC260Y_SOURCE_DIR");
  const char *env_bin = getenv("BC260Y_BINARY_DIR");
  if (getenv("LUA")) lua = getenv("LUA");
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
    return;
  }
  /* The build tree is the nearest parent of this program holding lua/bc260y/core.so. */
  ssize_t len = readlink("/proc/self/exe", binary, sizeof binary - 1);
  if (len < 0) die("readlink /proc/self/exe");
  binary[len] = 0;
  for (;;) {
    dirname_of(binary);
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/lua/bc260y/core.so", binary);
    if (access(probe, R_OK) == 0) return;
    if (strcmp(binary, "") == 0 || strcmp(binary, ".") == 0 || !strchr(binary, '/')) {
      fprintf(stderr, "bench_roundtrip: no lua/bc260y/core.so above this program; "
                      "set BC260Y_BINARY_DIR\n");
      exit(1);
    }
  }
}

/* A child process driven over pipes: the Lua client reads a count on stdin, does that
 * many m:at("AT") round trips and answers "secs=..."; "q" ends it. */
struct client {
  pid_t pid;
  FILE *in, *out;
  double rss_open_kib, rss_after_kib;
};

/* Starts argv (argv[0] looked up in PATH) with LUA_PATH/LUA_CPATH set for the sources
 * and the build, stdin/stdout on pipes; quiet: its stderr goes to /dev/null. */
static struct client start_client(char *const argv[], int quiet) {
  struct client c = {0};
  int to[2], from[2];
  if (pipe(to) != 0 || pipe(from) != 0) die("pipe");
  c.pid = fork();
  if (c.pid < 0) die("fork");
  if (c.pid == 0) {
    char lpath[PATH_MAX * 2 + 64], cpath[PATH_MAX + 32];
    snprintf(lpath, sizeof lpath, "%s/lua/?.lua;%s/lua/?/init.lua;;", source, source);
    snprintf(cpath, sizeof cpath, "%s/lua/?.so;;", binary);
    setenv("LUA_PATH", lpath, 1);
    setenv("LUA_CPATH", cpath, 1);
    dup2(to[0], 0);
    dup2(from[1], 1);
    if (quiet) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, 2);
    }
    /* Everything else (the pty master, the kept slave, other clients' pipes) closes. */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    execvp(argv[0], argv);
    perror(argv[0]);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  c.in = fdopen(to[1], "w");
  c.out = fdopen(from[0], "r");
  if (!c.in || !c.out) die("fdopen");
  return c;
}

static struct client start_lua_client(const char *pty_path, const char *valgrind_out) {
  char script[PATH_MAX + 64], outopt[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/spec/bench/roundtrip_client.lua", source);
  const char *vg = getenv("VALGRIND") ? getenv("VALGRIND") : "valgrind";
  struct client c;
  if (valgrind_out) {
    snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", valgrind_out);
    char *argv[] = {(char *)vg, "--tool=callgrind", outopt, (char *)lua, script,
                    (char *)pty_path, NULL};
    c = start_client(argv, 1);
  } else {
    char *argv[] = {(char *)lua, script, (char *)pty_path, NULL};
    c = start_client(argv, 0);
  }
  char line[256] = "";
  if (!fgets(line, sizeof line, c.out) || sscanf(line, "rss_open_kib=%lf", &c.rss_open_kib) != 1) {
    fprintf(stderr, "bench_roundtrip: the Lua side did not start: %s\n", line);
    exit(1);
  }
  return c;
}

/* n round trips by the Lua client; the seconds it took. */
static double lua_batch(struct client *c, long n) {
  char line[256] = "";
  double secs = 0;
  fprintf(c->in, "%ld\n", n);
  fflush(c->in);
  if (!fgets(line, sizeof line, c->out) || sscanf(line, "secs=%lf", &secs) != 1) {
    fprintf(stderr, "bench_roundtrip: the Lua side failed: %s\n", line);
    exit(1);
  }
  return secs;
}

/* Ends a client and waits for it; non-zero when it failed. */
static int stop_client(struct client *c) {
  char line[256];
  fprintf(c->in, "q\n");
  fflush(c->in);
  if (fgets(line, sizeof line, c->out)) sscanf(line, "rss_after_kib=%lf", &c->rss_after_kib);
  fclose(c->in);
  fclose(c->out);
  int status = 0;
  waitpid(c->pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "bench_roundtrip: a client exited with status %d\n", status);
    return 1;
  }
  return 0;
}

/* The "totals:" line of a callgrind output file (instructions executed), or -1. */
static double callgrind_total(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) return -1;
  char line[512];
  double total = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "totals: %lf", &total) == 1) break;
  }
  fclose(f);
  remove(file);
  return total;
}

/* Instructions one client run of n round trips executes, under callgrind; -1 when it
 * could not be measured. lua_side: the Lua client, else the raw C client (this program). */
static double instructions_for(int lua_side, const char *pty_path, long n) {
  char file[64];
  snprintf(file, sizeof file, "/tmp/bench_roundtrip.%ld.%ld.cg", (long)getpid(), n);
  if (lua_side) {
    struct client c = start_lua_client(pty_path, file);
    lua_batch(&c, n);
    if (stop_client(&c) != 0) return -1;
  } else {
    char self[PATH_MAX], outopt[PATH_MAX + 32], count[32];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) return -1;
    self[len] = 0;
    snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", file);
    snprintf(count, sizeof count, "%ld", n);
    const char *vg = getenv("VALGRIND") ? getenv("VALGRIND") : "valgrind";
    char *argv[] = {(char *)vg, "--tool=callgrind", outopt, self, "--raw-client",
                    (char *)pty_path, count, NULL};
    struct client c = start_client(argv, 1);
    fclose(c.in);
    fclose(c.out);
    int status = 0;
    waitpid(c.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  }
  return callgrind_total(file);
}

/* (I(n2) - I(n1)) / (n2 - n1): instructions per round trip, start-up cancelled. */
static double instructions_per_trip(int lua_side, const char *pty_path, long n1, long n2) {
  double i1 = instructions_for(lua_side, pty_path, n1);
  double i2 = instructions_for(lua_side, pty_path, n2);
  if (i1 < 0 || i2 < 0) return -1;
  return (i2 - i1) / (double)(n2 - n1);
}

static int valgrind_available(void) {
  const char *vg = getenv("VALGRIND") ? getenv("VALGRIND") : "valgrind";
  char cmd[PATH_MAX + 64];
  snprintf(cmd, sizeof cmd, "%s --version >/dev/null 2>&1", vg);
  return system(cmd) == 0;
}

static const char *verdict(int pass) { return pass ? "PASS" : "MISS"; }

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 4 && strcmp(argv[1], "--raw-client") == 0) {
    int fd = open(argv[2], O_RDWR | O_NOCTTY);
    if (fd < 0) die(argv[2]);
    make_raw(fd);
    raw_client(fd, strtol(argv[3], NULL, 10));
    close(fd);
    return 0;
  }
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  if (n <= 0) {
    fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
    return 2;
  }
  find_dirs();

  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("posix_openpt");
  make_raw(master);
  const char *slave_path = ptsname(master);
  if (!slave_path) die("ptsname");
  char path[128];
  snprintf(path, sizeof path, "%s", slave_path);

  /* A blocking slave fd kept open by the parent for the whole run (the raw client's), so
   * the pty never sees "all slaves closed" between the phases. */
  int keep = open(path, O_RDWR | O_NOCTTY);
  if (keep < 0) die("open slave");
  make_raw(keep);

  pid_t resp = fork();
  if (resp < 0) die("fork");
  if (resp == 0) {
    close(keep);
    responder(master);
  }

  struct client lc = start_lua_client(path, NULL);
  const long rounds = 20;
  long per_round = n / rounds > 0 ? n / rounds : 1;
  double raw_time = 0, lua_time = 0;
  long raw_trips = 0, lua_trips = 0;
  /* warm-up of both sides, not counted */
  raw_client(keep, per_round);
  lua_batch(&lc, per_round);
  for (long r = 0; r < rounds; r++) {
    /* C first in even rounds, Lua first in odd ones: neither always follows the other. */
    for (int side = 0; side < 2; side++) {
      if ((side == 0) == (r % 2 == 0)) {
        double t0 = now_s();
        raw_client(keep, per_round);
        raw_time += now_s() - t0;
        raw_trips += per_round;
      } else {
        lua_time += lua_batch(&lc, per_round);
        lua_trips += per_round;
      }
    }
  }
  int failed = stop_client(&lc);

  /* Instruction counts, one client at a time on the same pty (nothing else reads it). */
  const long n1 = 1000, n2 = 3000;
  double lua_instr = -1, raw_instr = -1;
  int have_valgrind = !failed && valgrind_available();
  if (have_valgrind) {
    lua_instr = instructions_per_trip(1, path, n1, n2);
    raw_instr = instructions_per_trip(0, path, n1, n2);
  }

  close(keep);
  kill(resp, SIGTERM);
  waitpid(resp, NULL, 0);
  close(master);
  if (failed) return 1;

  double raw_rate = (double)raw_trips / raw_time, lua_rate = (double)lua_trips / lua_time;
  double ratio = lua_rate / raw_rate;
  printf("bench_roundtrip: %ld AT/OK round trips each way over a pty against a C responder,\n"
         "  in %ld interleaved batches of %ld\n", raw_trips, rounds, per_round);
  printf("  raw C blocking write/read: %10.0f round trips/s\n", raw_rate);
  printf("  Lua API m:at(\"AT\")       : %10.0f round trips/s\n", lua_rate);
  printf("  ratio Lua/raw C          : %10.2f        (target >= 0.80) %s\n", ratio,
         verdict(ratio >= 0.8));
  if (lua_instr >= 0) {
    printf("  instructions per round trip, Lua process (callgrind, (I(%ld)-I(%ld))/%ld):\n"
           "                             %10.0f        (target <= 15000) %s\n",
           n2, n1, n2 - n1, lua_instr, verdict(lua_instr <= 15000));
    if (raw_instr >= 0)
      printf("  instructions per round trip, raw C client, for scale: %.0f\n", raw_instr);
  } else {
    printf("  instructions per round trip: not measured (%s)\n",
           have_valgrind ? "callgrind failed" : "valgrind not installed");
  }
  printf("  RSS, Lua process with one open modem: %.0f KiB = %.2f MiB (target < 4 MiB) %s\n",
         lc.rss_open_kib, lc.rss_open_kib / 1024.0, verdict(lc.rss_open_kib < 4096));
  printf("  RSS after the round trips           : %.0f KiB\n", lc.rss_after_kib);
  return 0;
}
