/* A small byte-processing application over the host buffer: checksums, a
 * byte histogram, a run-length encoder and an image filter. It is plain C
 * compiled by clang to a wasm32 reactor; everything it knows about the
 * buffer goes through host_buf.h.
 *
 * The code deliberately has the shapes LLVM gives real programs: constant
 * tables in data segments, a mutable static area, calls through function
 * pointers (a function table), memcpy/memset that become bulk-memory
 * instructions, and a shadow stack behind `__stack_pointer`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "host_buf.h"

/* ---- checksums ---------------------------------------------------------- */

static const uint32_t crc_table[256] = {
#define C(n) (((n) & 1) ? 0xEDB88320u ^ ((n) >> 1) : ((n) >> 1))
#define C2(n) C(C(n))
#define C4(n) C2(C2(n))
#define C8(n) C4(C4(n))
#define ROW(b) C8(b), C8(b + 1), C8(b + 2), C8(b + 3), C8(b + 4), C8(b + 5), C8(b + 6), C8(b + 7)
    ROW(0u), ROW(8u), ROW(16u), ROW(24u), ROW(32u), ROW(40u), ROW(48u), ROW(56u),
    ROW(64u), ROW(72u), ROW(80u), ROW(88u), ROW(96u), ROW(104u), ROW(112u), ROW(120u),
    ROW(128u), ROW(136u), ROW(144u), ROW(152u), ROW(160u), ROW(168u), ROW(176u), ROW(184u),
    ROW(192u), ROW(200u), ROW(208u), ROW(216u), ROW(224u), ROW(232u), ROW(240u), ROW(248u),
#undef ROW
#undef C8
#undef C4
#undef C2
#undef C
};

/* CRC-32 (IEEE) of the whole buffer. */
EXPORT("crc32") uint32_t crc32(void) {
    uint32_t crc = 0xFFFFFFFFu;
    uint64_t n = host_buf_len();
    for (uint64_t i = 0; i < n; i++) {
        crc = crc_table[(crc ^ host_buf_get(i)) & 0xFF] ^ (crc >> 8);
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Adler-32 of the whole buffer. */
EXPORT("adler32") uint32_t adler32(void) {
    uint32_t a = 1, b = 0;
    uint64_t n = host_buf_len();
    for (uint64_t i = 0; i < n; i++) {
        a = (a + host_buf_get(i)) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

/* ---- histogram ---------------------------------------------------------- */

static uint64_t histogram_bins[256];

/* Counts every byte value; returns how many distinct values occur. */
EXPORT("histogram") uint32_t histogram(void) {
    memset(histogram_bins, 0, sizeof histogram_bins);
    uint64_t n = host_buf_len();
    for (uint64_t i = 0; i < n; i++) {
        histogram_bins[host_buf_get(i)]++;
    }
    uint32_t distinct = 0;
    for (int v = 0; v < 256; v++) {
        distinct += histogram_bins[v] != 0;
    }
    return distinct;
}

/* How often `value` occurred in the last `histogram` run. */
EXPORT("histogram_bin") uint64_t histogram_bin(uint32_t value) {
    return histogram_bins[value & 0xFF];
}

/* The most frequent byte value (the smallest on ties). */
EXPORT("histogram_mode") uint32_t histogram_mode(void) {
    uint32_t best = 0;
    for (uint32_t v = 1; v < 256; v++) {
        if (histogram_bins[v] > histogram_bins[best]) {
            best = v;
        }
    }
    return best;
}

/* ---- run-length encoding ------------------------------------------------ */

/* Scratch space for the encoder; the result is copied back in one go. */
static uint8_t rle_scratch[1 << 16];

/* Run-length encodes the first `limit` bytes of the buffer (at most 32 KiB)
 * as (count, value) pairs, writes the encoding back to the start of the
 * buffer and returns its length, or 0 when it would not fit. */
EXPORT("rle_encode") uint32_t rle_encode(uint32_t limit) {
    uint64_t n = host_buf_len();
    if (limit > n) limit = (uint32_t)n;
    if (limit > sizeof rle_scratch / 2) limit = sizeof rle_scratch / 2;
    uint32_t out = 0;
    for (uint32_t i = 0; i < limit;) {
        uint32_t value = host_buf_get(i);
        uint32_t run = 1;
        while (i + run < limit && run < 255 && host_buf_get(i + run) == value) run++;
        rle_scratch[out++] = (uint8_t)run;
        rle_scratch[out++] = (uint8_t)value;
        i += run;
    }
    if (out > n) return 0;
    uint8_t copy[256];
    for (uint32_t done = 0; done < out; done += sizeof copy) {
        uint32_t chunk = out - done < sizeof copy ? out - done : sizeof copy;
        memcpy(copy, rle_scratch + done, chunk);
        for (uint32_t k = 0; k < chunk; k++) host_buf_set(done + k, copy[k]);
    }
    return out;
}

/* Decodes `encoded` bytes of (count, value) pairs at the start of the buffer
 * back into the buffer; returns the decoded length, or 0 when it would not
 * fit. */
EXPORT("rle_decode") uint32_t rle_decode(uint32_t encoded) {
    uint64_t n = host_buf_len();
    if (encoded > n || encoded > sizeof rle_scratch) return 0;
    for (uint32_t i = 0; i < encoded; i++) rle_scratch[i] = (uint8_t)host_buf_get(i);
    uint32_t out = 0;
    for (uint32_t i = 0; i + 1 < encoded; i += 2) {
        uint32_t run = rle_scratch[i], value = rle_scratch[i + 1];
        if (out + run > n) return 0;
        for (uint32_t k = 0; k < run; k++) host_buf_set(out++, value);
    }
    return out;
}

/* ---- image filters ------------------------------------------------------ */

/* A filter maps a pixel and its horizontal neighbours to a new pixel. */
typedef uint32_t (*filter_fn)(uint32_t left, uint32_t centre, uint32_t right);

static uint32_t filter_invert(uint32_t left, uint32_t centre, uint32_t right) {
    (void)left;
    (void)right;
    return 255 - centre;
}

static uint32_t filter_blur(uint32_t left, uint32_t centre, uint32_t right) {
    return (left + 2 * centre + right + 2) / 4;
}

static uint32_t filter_edges(uint32_t left, uint32_t centre, uint32_t right) {
    int32_t d = (int32_t)right - (int32_t)left;
    (void)centre;
    return (uint32_t)(d < 0 ? -d : d) > 255 ? 255 : (uint32_t)(d < 0 ? -d : d);
}

static uint32_t filter_threshold(uint32_t left, uint32_t centre, uint32_t right) {
    (void)left;
    (void)right;
    return centre >= 128 ? 255 : 0;
}

/* Reached through a function table: `call_indirect` in the module. */
static filter_fn const filters[] = {filter_invert, filter_blur, filter_edges, filter_threshold};

/* Applies filter `which` to each row of a grayscale image of `width` pixels
 * per row that fills the buffer; edge pixels repeat. Returns the number of
 * pixels written, or -1 for an unknown filter or a zero width. */
EXPORT("filter") int32_t filter(uint32_t which, uint32_t width) {
    if (which >= sizeof filters / sizeof filters[0] || width == 0 || width > 4096) return -1;
    filter_fn f = filters[which];
    uint64_t n = host_buf_len();
    uint8_t row[4096];
    int32_t written = 0;
    for (uint64_t start = 0; start + width <= n; start += width) {
        for (uint32_t x = 0; x < width; x++) row[x] = (uint8_t)host_buf_get(start + x);
        for (uint32_t x = 0; x < width; x++) {
            uint32_t left = row[x == 0 ? 0 : x - 1];
            uint32_t right = row[x + 1 == width ? x : x + 1];
            host_buf_set(start + x, f(left, row[x], right));
            written++;
        }
    }
    return written;
}

/* ---- small accessors ---------------------------------------------------- */

/* The byte at `index`; traps when out of range. */
EXPORT("peek") uint32_t peek(uint64_t index) { return host_buf_get(index); }

/* Stores `value` at `index`; traps when out of range. */
EXPORT("poke") void poke(uint64_t index, uint32_t value) { host_buf_set(index, value); }

/* The mean of the first `count` bytes; traps when `count` is 0, in the
 * app's own code (the debug-information tests look for this line). */
EXPORT("mean") uint32_t mean(uint64_t count) {
    if (count == 0) __builtin_trap(); /* trap: the mean of no bytes */
    uint64_t sum = 0;
    for (uint64_t i = 0; i < count; i++) sum += host_buf_get(i);
    return (uint32_t)(sum / count);
}

/* Adds one to every byte, wrapping at 256: the compile-time-builtins
 * benchmark's workload. */
EXPORT("increment_all") void increment_all(void) {
    uint64_t n = host_buf_len();
    for (uint64_t i = 0; i < n; i++) host_buf_set(i, host_buf_get(i) + 1);
}

/* The buffer's length. */
EXPORT("length") uint64_t length(void) { return host_buf_len(); }
