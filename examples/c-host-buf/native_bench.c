/* A timing driver for the native build of the application, used by the
 * C-program benchmark (benches/benches/c_program.rs).
 *
 *   native-bench FILE REPEAT EXPORT [ARG]...
 *
 * loads FILE as the buffer, calls EXPORT REPEAT times in a row and prints
 * the last call's result and the nanoseconds all calls took together
 * (CLOCK_MONOTONIC), on one line; with NATIVE_BENCH_OUT set, the final
 * buffer is written to that file. Timing inside the process keeps process
 * start-up and reading the file out of the measurement, so a benchmark can
 * spawn this once per sample.
 *
 * The accessors have the bounds checks of native_host.c (an out-of-range
 * index exits with status 2). build.sh, given NATIVE_BENCH=1, compiles
 * this file twice: with -DNATIVE_BENCH_INLINE it includes app.c, so the
 * application and the accessors are one translation unit and clang inlines
 * `host_buf_get` into every loop — the native counterpart of linking and
 * inlining a builtin; without it app.c is a separate translation unit and
 * every access is a call, as in native-app. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_buf.h"

#ifdef NATIVE_BENCH_INLINE
#include "app.c"
#else
uint32_t crc32(void);
uint32_t adler32(void);
uint32_t histogram(void);
uint32_t rle_encode(uint32_t limit);
int32_t filter(uint32_t which, uint32_t width);
void increment_all(void);
#endif

static uint8_t *buffer;
static uint64_t buffer_len;

static void out_of_range(uint64_t index) {
    fprintf(stderr, "trap: index %llu out of range\n", (unsigned long long)index);
    exit(2);
}

uint32_t host_buf_get(uint64_t index) {
    if (index >= buffer_len) out_of_range(index);
    return buffer[index];
}

void host_buf_set(uint64_t index, uint32_t value) {
    if (index >= buffer_len) out_of_range(index);
    buffer[index] = (uint8_t)value;
}

uint64_t host_buf_len(void) { return buffer_len; }

/* One wrapper per export, called through a volatile pointer so that the
 * compiler cannot merge or drop repeated calls whose results look unused. */
typedef int64_t (*command_fn)(const uint64_t *args);

static int64_t run_crc32(const uint64_t *args) { (void)args; return crc32(); }
static int64_t run_adler32(const uint64_t *args) { (void)args; return adler32(); }
static int64_t run_histogram(const uint64_t *args) { (void)args; return histogram(); }
static int64_t run_rle_encode(const uint64_t *args) { return rle_encode((uint32_t)args[0]); }
static int64_t run_filter(const uint64_t *args) {
    return filter((uint32_t)args[0], (uint32_t)args[1]);
}
static int64_t run_increment_all(const uint64_t *args) {
    (void)args;
    increment_all();
    return 0;
}

static const struct {
    const char *name;
    int arity;
    command_fn run;
} commands[] = {
    {"crc32", 0, run_crc32},         {"adler32", 0, run_adler32},
    {"histogram", 0, run_histogram}, {"rle_encode", 1, run_rle_encode},
    {"filter", 2, run_filter},       {"increment_all", 0, run_increment_all},
};

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s FILE REPEAT EXPORT [ARG]...\n", argv[0]);
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    buffer_len = (uint64_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    buffer = malloc(buffer_len ? buffer_len : 1);
    if (!buffer || fread(buffer, 1, buffer_len, f) != buffer_len) {
        perror("read");
        return 1;
    }
    fclose(f);
    uint64_t repeat = strtoull(argv[2], NULL, 0);
    command_fn volatile run = NULL;
    int arity = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(argv[3], commands[i].name)) {
            run = commands[i].run;
            arity = commands[i].arity;
        }
    }
    if (!run) {
        fprintf(stderr, "unknown export %s\n", argv[3]);
        return 1;
    }
    if (argc - 4 != arity) {
        fprintf(stderr, "%s takes %d argument(s)\n", argv[3], arity);
        return 1;
    }
    uint64_t args[2] = {0, 0};
    for (int i = 0; i < arity; i++) args[i] = strtoull(argv[4 + i], NULL, 0);
    int64_t result = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (uint64_t i = 0; i < repeat; i++) result = run(args);
    clock_gettime(CLOCK_MONOTONIC, &end);
    int64_t ns = (int64_t)(end.tv_sec - start.tv_sec) * 1000000000 + (end.tv_nsec - start.tv_nsec);
    printf("%lld %lld\n", (long long)result, (long long)ns);
    const char *out = getenv("NATIVE_BENCH_OUT");
    if (out) {
        FILE *o = fopen(out, "wb");
        if (!o || fwrite(buffer, 1, buffer_len, o) != buffer_len) {
            perror(out);
            return 1;
        }
        fclose(o);
    }
    return 0;
}
