/* The store data's buffer, for builtin.c: in a unit of its own, so that
 * what link-time optimization inlines from here into builtin.c's functions
 * names its origin in this unit. */
#include <stdint.h>

#define INTRINSIC(name) __attribute__((import_module("unsafe-intrinsics"), import_name(name)))

INTRINSIC("store-data-address") uint64_t store_data_address(void);
INTRINSIC("u64-native-load") uint64_t u64_native_load(uint64_t address);

uint64_t buffer_ptr(void) { return u64_native_load(store_data_address()); }

uint64_t buffer_len(void) { return u64_native_load(store_data_address() + 8); }
