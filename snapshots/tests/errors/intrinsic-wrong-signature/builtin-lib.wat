;; 32-bit addresses: the intrinsics take i64.
(module
  (import "unsafe-intrinsics" "u32-native-store" (func (param i32 i32)))
  (func (export "f")))
