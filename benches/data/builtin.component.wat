;; The `host-buf` builtin as a component, for wasmtime's compile-time
;; builtins. The core module is `examples/host-buf/builtin.wat` unchanged:
;; the benchmark code puts its text in place of the `core-module` marker
;; below, so the component and the core variants run the very same builtin.
;; The intrinsics it imports arrive as the component instance
;; `unsafe-intrinsics`, lowered to core functions with the same names.
(component
  (import "unsafe-intrinsics"
    (instance $intrinsics
      (export "store-data-address" (func (result u64)))
      (export "u64-native-load" (func (param "pointer" u64) (result u64)))
      (export "u8-checked-native-load"
        (func (param "base" u64) (param "offset" u64) (param "length" u64) (result u8)))
      (export "u8-checked-native-store"
        (func (param "base" u64) (param "offset" u64) (param "length" u64) (param "value" u8)))))

  ;; core-module $impl

  (core func $store-data-address (canon lower (func $intrinsics "store-data-address")))
  (core func $u64-native-load (canon lower (func $intrinsics "u64-native-load")))
  (core func $u8-checked-native-load (canon lower (func $intrinsics "u8-checked-native-load")))
  (core func $u8-checked-native-store (canon lower (func $intrinsics "u8-checked-native-store")))

  (core instance $instance
    (instantiate $impl
      (with "unsafe-intrinsics" (instance
        (export "store-data-address" (func $store-data-address))
        (export "u64-native-load" (func $u64-native-load))
        (export "u8-checked-native-load" (func $u8-checked-native-load))
        (export "u8-checked-native-store" (func $u8-checked-native-store))))))

  (func (export "get") (param "i" u64) (result u8) (canon lift (core func $instance "get")))
  (func (export "set") (param "i" u64) (param "v" u8) (canon lift (core func $instance "set")))
  (func (export "len") (result u64) (canon lift (core func $instance "len"))))
