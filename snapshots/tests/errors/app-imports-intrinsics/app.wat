;; The app is untrusted: it may never import the intrinsics.
(module
  (import "lib" "f" (func))
  (import "unsafe-intrinsics" "u8-native-load" (func (param i64) (result i32))))
