/* The host-buffer API as an application sees it: a byte buffer owned by the
 * host, reached through three imports of the `host-buf` module. Whether they
 * are implemented by the host or by a builtin linked in ahead of time is
 * invisible here. Out-of-range indices trap. */
#ifndef HOST_BUF_H
#define HOST_BUF_H

#include <stdint.h>

#ifdef __wasm__
#define HOST_BUF_IMPORT(name) __attribute__((import_module("host-buf"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define HOST_BUF_IMPORT(name)
#define EXPORT(name)
#endif

/* The byte at `index`. */
HOST_BUF_IMPORT("get") uint32_t host_buf_get(uint64_t index);
/* Stores the low 8 bits of `value` at `index`. */
HOST_BUF_IMPORT("set") void host_buf_set(uint64_t index, uint32_t value);
/* The buffer's length in bytes. */
HOST_BUF_IMPORT("len") uint64_t host_buf_len(void);

#endif
