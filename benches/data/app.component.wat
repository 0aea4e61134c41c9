;; The benchmark application as a component: `app.wat` (spliced in place of
;; the `core-module` marker) importing the `host-buf` API as a component
;; instance, with its workloads lifted as component exports. The same
;; component runs with `host-buf` as host functions and as a compile-time
;; builtin.
(component
  (import "host-buf"
    (instance $host-buf
      (export "get" (func (param "i" u64) (result u8)))
      (export "set" (func (param "i" u64) (param "v" u8)))
      (export "len" (func (result u64)))))

  ;; core-module $impl

  (core func $get (canon lower (func $host-buf "get")))
  (core func $set (canon lower (func $host-buf "set")))
  (core func $len (canon lower (func $host-buf "len")))

  (core instance $instance
    (instantiate $impl
      (with "host-buf" (instance
        (export "get" (func $get))
        (export "set" (func $set))
        (export "len" (func $len))))))

  (func (export "increment-all") (canon lift (core func $instance "increment-all")))
  (func (export "increment-random") (param "count" u64) (param "seed" u64)
    (canon lift (core func $instance "increment-random")))
  (func (export "peek") (param "index" u64) (result u8)
    (canon lift (core func $instance "peek"))))
