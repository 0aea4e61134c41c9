/* examples/c-host-buf/builtin.c's `get`, `set` and `len`, with the buffer's
 * helpers in buffer.c: built with link-time optimization, the helpers are
 * inlined across units. */
#include <stdint.h>

#define INTRINSIC(name) __attribute__((import_module("unsafe-intrinsics"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

INTRINSIC("u8-checked-native-load")
uint32_t u8_checked_native_load(uint64_t base, uint64_t offset, uint64_t length);
INTRINSIC("u8-checked-native-store")
void u8_checked_native_store(uint64_t base, uint64_t offset, uint64_t length, uint32_t value);

uint64_t buffer_ptr(void);
uint64_t buffer_len(void);

EXPORT("get") uint32_t get(uint64_t index) {
    return u8_checked_native_load(buffer_ptr(), index, buffer_len());
}

EXPORT("set") void set(uint64_t index, uint32_t value) {
    u8_checked_native_store(buffer_ptr(), index, buffer_len(), value);
}

EXPORT("len") uint64_t len(void) { return buffer_len(); }
