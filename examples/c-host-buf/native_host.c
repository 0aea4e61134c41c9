/* The same application compiled natively: the host-buf API implemented
 * directly over a heap buffer with the same bounds checks (an out-of-range
 * index aborts, as the Wasm versions trap), and a driver that runs a command
 * over a file and prints the results in the form `wasm-prelink run` does.
 *
 *   native-app FILE EXPORT [ARG]...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_buf.h"

static uint8_t *buffer;
static uint64_t buffer_len;

uint32_t host_buf_get(uint64_t index) {
    if (index >= buffer_len) {
        fprintf(stderr, "trap: index %llu out of range\n", (unsigned long long)index);
        exit(2);
    }
    return buffer[index];
}

void host_buf_set(uint64_t index, uint32_t value) {
    if (index >= buffer_len) {
        fprintf(stderr, "trap: index %llu out of range\n", (unsigned long long)index);
        exit(2);
    }
    buffer[index] = (uint8_t)value;
}

uint64_t host_buf_len(void) { return buffer_len; }

uint32_t crc32(void);
uint32_t adler32(void);
uint32_t histogram(void);
uint64_t histogram_bin(uint32_t value);
uint32_t histogram_mode(void);
uint32_t rle_encode(uint32_t limit);
uint32_t rle_decode(uint32_t encoded);
int32_t filter(uint32_t which, uint32_t width);
uint32_t peek(uint64_t index);
void increment_all(void);
uint64_t length(void);

static uint64_t arg(int argc, char **argv, int i) {
    if (i >= argc) {
        fprintf(stderr, "missing argument %d\n", i);
        exit(1);
    }
    return strtoull(argv[i], NULL, 0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE EXPORT [ARG]... [--out FILE]\n", argv[0]);
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
    if (fread(buffer, 1, buffer_len, f) != buffer_len) {
        perror("read");
        return 1;
    }
    fclose(f);
    const char *name = argv[2];
    if (!strcmp(name, "crc32")) printf("%u\n", crc32());
    else if (!strcmp(name, "adler32")) printf("%u\n", adler32());
    else if (!strcmp(name, "histogram")) printf("%u\n", histogram());
    else if (!strcmp(name, "histogram_mode")) { histogram(); printf("%u\n", histogram_mode()); }
    else if (!strcmp(name, "rle_encode")) printf("%u\n", rle_encode((uint32_t)arg(argc, argv, 3)));
    else if (!strcmp(name, "filter")) printf("%d\n", filter((uint32_t)arg(argc, argv, 3), (uint32_t)arg(argc, argv, 4)));
    else if (!strcmp(name, "peek")) printf("%u\n", peek(arg(argc, argv, 3)));
    else if (!strcmp(name, "increment_all")) increment_all();
    else if (!strcmp(name, "length")) printf("%llu\n", (unsigned long long)length());
    else {
        fprintf(stderr, "unknown export %s\n", name);
        return 1;
    }
    const char *out = getenv("NATIVE_APP_OUT");
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
