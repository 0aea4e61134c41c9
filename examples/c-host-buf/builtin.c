/* The `host-buf` builtin written in C: the same API as
 * examples/host-buf/builtin.wat, implemented on the unsafe intrinsics.
 *
 * The host's store data is `#[repr(C)] struct { uint64_t ptr, len; }`
 * describing a byte buffer it owns. Every access is bounds-checked by the
 * checked intrinsics, which trap when the index is out of range.
 *
 * Compiled by clang, this module brings its own linear memory and
 * `__stack_pointer` (the access counter below lives there), which must merge
 * cleanly with the application's. */
#include <stdint.h>

#define INTRINSIC(name) __attribute__((import_module("unsafe-intrinsics"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

INTRINSIC("store-data-address") uint64_t store_data_address(void);
INTRINSIC("u64-native-load") uint64_t u64_native_load(uint64_t address);
INTRINSIC("u8-checked-native-load")
uint32_t u8_checked_native_load(uint64_t base, uint64_t offset, uint64_t length);
INTRINSIC("u8-checked-native-store")
void u8_checked_native_store(uint64_t base, uint64_t offset, uint64_t length, uint32_t value);

/* Accesses made through this builtin, kept in the builtin's own memory. */
static uint64_t access_count;

static uint64_t buffer_ptr(void) { return u64_native_load(store_data_address()); }

static uint64_t buffer_len(void) { return u64_native_load(store_data_address() + 8); }

EXPORT("get") uint32_t get(uint64_t index) {
    access_count++;
    return u8_checked_native_load(buffer_ptr(), index, buffer_len());
}

EXPORT("set") void set(uint64_t index, uint32_t value) {
    access_count++;
    u8_checked_native_store(buffer_ptr(), index, buffer_len(), value);
}

EXPORT("len") uint64_t len(void) { return buffer_len(); }

/* How many get/set calls this instance served. */
EXPORT("accesses") uint64_t accesses(void) { return access_count; }
