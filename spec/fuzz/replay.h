/* replay.h: a fuzzer that includes this replays its saved crash inputs
 * (spec/fuzz/regressions/<fuzzer>-<hash>) before it starts fuzzing, so that `make fuzz`
 * fails at once when an old bug comes back, whatever the random run explores. The
 * directory is found next to the fuzzer's source (__FILE__ is absolute in the CMake
 * build). Each input goes through LLVMFuzzerTestOneInput in an exact-size heap buffer
 * (ASan sees a read past its end); a broken invariant aborts as in fuzzing. */
#ifndef SPEC_FUZZ_REPLAY_H
#define SPEC_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay_regressions(const char *src_file, const char *fuzzer) {
  char dir[4096];
  const char *slash = strrchr(src_file, '/');
  int dl = slash ? (int)(slash - src_file) : 1;
  snprintf(dir, sizeof dir, "%.*s/regressions", dl, slash ? src_file : ".");
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "%s: no regression inputs at %s (not replayed)\n", fuzzer, dir);
    return;
  }
  size_t plen = strlen(fuzzer), replayed = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, fuzzer, plen) != 0 || de->d_name[plen] != '-') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "%s: cannot open %s\n", fuzzer, path);
      abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || n < 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
      fprintf(stderr, "%s: cannot read %s\n", fuzzer, path);
      abort();
    }
    fclose(f);
    fprintf(stderr, "%s: replaying %s\n", fuzzer, de->d_name);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    replayed++;
  }
  closedir(d);
  fprintf(stderr, "%s: %zu regression input(s) from %s pass\n", fuzzer, replayed, dir);
}

/* libFuzzer calls this once before fuzzing. */
#define REPLAY_REGRESSIONS(fuzzer)                          \
  int LLVMFuzzerInitialize(int *argc, char ***argv);        \
  int LLVMFuzzerInitialize(int *argc, char ***argv) {       \
    (void)argc;                                             \
    (void)argv;                                             \
    replay_regressions(__FILE__, fuzzer);                   \
    return 0;                                               \
  }

#endif
