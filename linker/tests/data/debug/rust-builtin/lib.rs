//! The `host-buf` builtin written in Rust: the API of
//! `examples/c-host-buf/builtin.c` on the unsafe intrinsics, for the
//! debug-information tests of a builtin whose DWARF rustc wrote.
#![no_std]

#[link(wasm_import_module = "unsafe-intrinsics")]
extern "C" {
    #[link_name = "store-data-address"]
    fn store_data_address() -> u64;
    #[link_name = "u64-native-load"]
    fn u64_native_load(address: u64) -> u64;
    #[link_name = "u8-checked-native-load"]
    fn u8_checked_native_load(base: u64, offset: u64, length: u64) -> u32;
    #[link_name = "u8-checked-native-store"]
    fn u8_checked_native_store(base: u64, offset: u64, length: u64, value: u32);
}

/// The host's buffer, as its store data describes it.
struct Buffer {
    ptr: u64,
    len: u64,
}

impl Buffer {
    #[inline]
    fn of_store() -> Buffer {
        // SAFETY: the host's store data starts with the buffer's address
        // and length, as two u64s.
        unsafe {
            let data = store_data_address();
            Buffer {
                ptr: u64_native_load(data),
                len: u64_native_load(data.wrapping_add(8)),
            }
        }
    }
}

#[no_mangle]
pub extern "C" fn get(index: u64) -> u32 {
    let buffer = Buffer::of_store();
    // SAFETY: the checked intrinsic traps outside the buffer.
    unsafe { u8_checked_native_load(buffer.ptr, index, buffer.len) }
}

#[no_mangle]
pub extern "C" fn set(index: u64, value: u32) {
    let buffer = Buffer::of_store();
    // SAFETY: as in `get`.
    unsafe { u8_checked_native_store(buffer.ptr, index, buffer.len, value) }
}

#[no_mangle]
pub extern "C" fn len() -> u64 {
    Buffer::of_store().len
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
