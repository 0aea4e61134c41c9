(module
  (import "unsafe-intrinsics" "u8-native-lod" (func (param i64) (result i32)))
  (func (export "f")))
