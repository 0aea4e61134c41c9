//! A Rust application over the host-buffer API, the Rust counterpart of
//! `examples/c-host-buf/app.c`: it reaches the buffer only through the three
//! imports of the `host-buf` module, which the C builtin of that example
//! implements. Built with debug information (`build.sh`), it is the evidence
//! that DWARF from rustc survives linking (`cli/tests/debuginfo.rs`).
#![no_std]

#[link(wasm_import_module = "host-buf")]
extern "C" {
    #[link_name = "get"]
    fn host_buf_get(index: u64) -> u32;
    #[link_name = "set"]
    fn host_buf_set(index: u64, value: u32);
    #[link_name = "len"]
    fn host_buf_len() -> u64;
}

fn len() -> u64 {
    // SAFETY: the import takes no arguments and traps on its own errors.
    unsafe { host_buf_len() }
}

fn get(index: u64) -> u8 {
    // SAFETY: an index out of range traps in the builtin.
    unsafe { host_buf_get(index) as u8 }
}

fn set(index: u64, value: u8) {
    // SAFETY: an index out of range traps in the builtin.
    unsafe { host_buf_set(index, u32::from(value)) }
}

/// Fletcher-16 of the whole buffer.
#[no_mangle]
pub extern "C" fn fletcher16() -> u32 {
    let (mut a, mut b) = (0u32, 0u32);
    for i in 0..len() {
        a = (a + u32::from(get(i))) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

/// How many bytes equal `byte`.
#[no_mangle]
pub extern "C" fn count(byte: u32) -> u64 {
    (0..len()).filter(|&i| u32::from(get(i)) == byte).count() as u64
}

/// Reverses the buffer in place.
#[no_mangle]
pub extern "C" fn reverse() {
    let n = len();
    for i in 0..n / 2 {
        let (x, y) = (get(i), get(n - 1 - i));
        set(i, y);
        set(n - 1 - i, x);
    }
}

/// The mean of the first `count` bytes; traps when `count` is 0.
#[no_mangle]
pub extern "C" fn mean(count: u64) -> u32 {
    if count == 0 {
        core::arch::wasm32::unreachable(); // trap: the mean of no bytes
    }
    let sum: u64 = (0..count).map(|i| u64::from(get(i))).sum();
    (sum / count) as u32
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
