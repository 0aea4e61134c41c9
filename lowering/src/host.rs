//! Host implementations of every intrinsic: the slow path.
//!
//! Lowering only applies to direct calls. An intrinsic that escapes as a
//! function reference (`ref.func`, a table element, an export), a module run
//! by an engine without the plugin, or a runtime that turns the plugin off,
//! all reach the intrinsic as an ordinary import — and linking must not
//! change behaviour, so the host must implement it with exactly the lowered
//! semantics. These functions are that implementation, written once here so
//! every runtime registers the same thing, and the JIT tests compare the
//! lowered code against them.
//!
//! Values cross as raw `u64`s (an `i32` in the low 32 bits), the form most
//! runtimes' untyped host-call interfaces use; [`call`] dispatches by
//! [`Intrinsic`] for such runtimes. Accesses use the native byte order and
//! tolerate any alignment. Addresses wider than the host's pointers keep only
//! their low bits, as the lowering's `ireduce` does.
//!
//! Everything except the store-data address dereferences a raw address the
//! builtin computed, hence `unsafe`: the builtin is trusted, and the caller
//! vouches for it.

use cranelift_codegen::ir::TrapCode;

use crate::intrinsics::{Intrinsic, Shape};
use crate::lower::OUT_OF_BOUNDS;

/// A checked intrinsic's bounds check failed: the trap the lowered code
/// raises with [`OutOfBounds::trap_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("out of bounds native access: {size} bytes at offset {offset} of {length}")]
pub struct OutOfBounds {
    /// The `offset` argument.
    pub offset: u64,
    /// The `length` argument.
    pub length: u64,
    /// The access width in bytes.
    pub size: u32,
}

impl OutOfBounds {
    /// The Cranelift trap code of the lowered check, so a runtime can report
    /// both paths' traps identically.
    pub fn trap_code(&self) -> TrapCode {
        OUT_OF_BOUNDS
    }
}

/// Why [`call`] did not produce a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// A checked intrinsic trapped.
    #[error(transparent)]
    Trap(#[from] OutOfBounds),
    /// The number of arguments is not the intrinsic's.
    #[error("intrinsic `{intrinsic}` takes {expected} arguments, {found} were passed")]
    Arity {
        /// The intrinsic called.
        intrinsic: Intrinsic,
        /// Its parameter count.
        expected: usize,
        /// The number of arguments passed.
        found: usize,
    },
}

/// Converts a Wasm `i64` address to a host pointer, keeping the low bits on
/// hosts with narrower pointers (as the lowering does).
fn pointer(address: u64) -> *mut u8 {
    address as usize as *mut u8
}

/// Loads `size` bytes (1, 2, 4 or 8) at `address`, zero-extended.
///
/// # Safety
/// `address..address+size` must be readable host memory.
unsafe fn load(address: u64, size: u32) -> u64 {
    let p = pointer(address);
    // SAFETY: the caller guarantees the bytes are readable; the reads are
    // unaligned because the intrinsics carry no alignment requirement.
    unsafe {
        match size {
            1 => u64::from(p.read()),
            2 => u64::from(p.cast::<u16>().read_unaligned()),
            4 => u64::from(p.cast::<u32>().read_unaligned()),
            _ => p.cast::<u64>().read_unaligned(),
        }
    }
}

/// Stores the low `size` bytes (1, 2, 4 or 8) of `value` at `address`.
///
/// # Safety
/// `address..address+size` must be writable host memory.
unsafe fn store(address: u64, size: u32, value: u64) {
    let p = pointer(address);
    // SAFETY: as for `load`; the `as` casts are the specified truncation.
    unsafe {
        match size {
            1 => p.write(value as u8),
            2 => p.cast::<u16>().write_unaligned(value as u16),
            4 => p.cast::<u32>().write_unaligned(value as u32),
            _ => p.cast::<u64>().write_unaligned(value),
        }
    }
}

/// The bounds check of the checked intrinsics: `offset + size <= length`,
/// without overflow; returns `base + offset` (wrapping, like the lowered
/// `iadd`).
pub fn check_bounds(base: u64, offset: u64, length: u64, size: u32) -> Result<u64, OutOfBounds> {
    match offset.checked_add(u64::from(size)) {
        Some(end) if end <= length => Ok(base.wrapping_add(offset)),
        _ => Err(OutOfBounds {
            offset,
            length,
            size,
        }),
    }
}

macro_rules! host_functions {
    ($($load:ident $store:ident $checked_load:ident $checked_store:ident $size:literal $ty:ty;)*) => {$(
        #[doc = concat!("`u", stringify!($size), "-native-load`: zero-extending load.")]
        ///
        /// # Safety
        /// The bytes at `address` must be readable host memory.
        pub unsafe fn $load(address: u64) -> $ty {
            // SAFETY: forwarded to the caller; the value fits `$ty`.
            unsafe { load(address, $size / 8) as $ty }
        }

        #[doc = concat!("`u", stringify!($size), "-native-store`: truncating store.")]
        ///
        /// # Safety
        /// The bytes at `address` must be writable host memory.
        pub unsafe fn $store(address: u64, value: $ty) {
            // SAFETY: forwarded to the caller.
            unsafe { store(address, $size / 8, u64::from(value)) }
        }

        #[doc = concat!("`u", stringify!($size), "-checked-native-load`: bounds check, then load.")]
        ///
        /// # Safety
        /// `base..base+length` must be readable host memory.
        pub unsafe fn $checked_load(base: u64, offset: u64, length: u64) -> Result<$ty, OutOfBounds> {
            let address = check_bounds(base, offset, length, $size / 8)?;
            // SAFETY: in bounds of the region the caller vouches for.
            Ok(unsafe { $load(address) })
        }

        #[doc = concat!("`u", stringify!($size), "-checked-native-store`: bounds check, then store.")]
        ///
        /// # Safety
        /// `base..base+length` must be writable host memory.
        pub unsafe fn $checked_store(
            base: u64,
            offset: u64,
            length: u64,
            value: $ty,
        ) -> Result<(), OutOfBounds> {
            let address = check_bounds(base, offset, length, $size / 8)?;
            // SAFETY: in bounds of the region the caller vouches for.
            unsafe { $store(address, value) };
            Ok(())
        }
    )*};
}

host_functions! {
    u8_native_load u8_native_store u8_checked_native_load u8_checked_native_store 8 u32;
    u16_native_load u16_native_store u16_checked_native_load u16_checked_native_store 16 u32;
    u32_native_load u32_native_store u32_checked_native_load u32_checked_native_store 32 u32;
    u64_native_load u64_native_store u64_checked_native_load u64_checked_native_store 64 u64;
}

/// Calls `intrinsic` with raw arguments (`i32`s in the low bits), as an
/// untyped host-call interface would. `store_data_address` is what
/// `store-data-address` returns. Returns the result, if the intrinsic has
/// one, as a raw `u64` (an `i32` result zero-extended).
///
/// # Safety
/// The addresses the arguments denote must be valid host memory for the
/// access, as for the individual functions.
pub unsafe fn call(
    intrinsic: Intrinsic,
    store_data_address: u64,
    args: &[u64],
) -> Result<Option<u64>, CallError> {
    let size = intrinsic.access_bytes();
    Ok(match (Shape::of(intrinsic), args) {
        (Shape::StoreDataAddress, []) => Some(store_data_address),
        // SAFETY: the caller vouches for the address (this function's
        // contract).
        (Shape::Load { .. }, &[address]) => Some(unsafe { load(address, size) }),
        (Shape::Store { .. }, &[address, value]) => {
            // SAFETY: as for the load above.
            unsafe { store(address, size, value) };
            None
        }
        (Shape::CheckedLoad { .. }, &[base, offset, length]) => {
            let address = check_bounds(base, offset, length, size)?;
            // SAFETY: in bounds of the region the caller vouches for.
            Some(unsafe { load(address, size) })
        }
        (Shape::CheckedStore { .. }, &[base, offset, length, value]) => {
            let address = check_bounds(base, offset, length, size)?;
            // SAFETY: in bounds of the region the caller vouches for.
            unsafe { store(address, size, value) };
            None
        }
        _ => {
            return Err(CallError::Arity {
                intrinsic,
                expected: intrinsic.params().len(),
                found: args.len(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_at_the_edges() {
        assert_eq!(check_bounds(100, 7, 8, 1), Ok(107));
        assert!(check_bounds(100, 8, 8, 1).is_err());
        assert_eq!(check_bounds(100, 4, 8, 4), Ok(104));
        assert!(check_bounds(100, 5, 8, 4).is_err());
        assert!(check_bounds(0, u64::MAX, u64::MAX, 1).is_err());
        assert!(check_bounds(0, u64::MAX - 1, u64::MAX, 2).is_err());
        assert_eq!(check_bounds(0, u64::MAX - 1, u64::MAX, 1), Ok(u64::MAX - 1));
    }

    #[test]
    fn typed_and_raw_agree() {
        let mut buffer = [0u8; 16];
        let base = buffer.as_mut_ptr() as u64;
        // SAFETY: every access stays within `buffer`.
        unsafe {
            u32_native_store(base + 1, 0xdead_beef);
            assert_eq!(u32_native_load(base + 1), 0xdead_beef);
            u8_native_store(base, 0x1ff);
            assert_eq!(u8_native_load(base), 0xff);
            assert_eq!(
                call(Intrinsic::U16NativeLoad, 0, &[base + 1]),
                Ok(Some(u64::from(u16_native_load(base + 1))))
            );
            assert_eq!(
                u64_checked_native_load(base, 9, 16),
                Err(OutOfBounds {
                    offset: 9,
                    length: 16,
                    size: 8
                })
            );
            assert_eq!(call(Intrinsic::StoreDataAddress, 42, &[]), Ok(Some(42)));
            assert!(call(Intrinsic::U8NativeLoad, 0, &[]).is_err());
        }
    }
}
