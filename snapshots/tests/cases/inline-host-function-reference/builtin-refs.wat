;; `ref.func $tick` names a host import, declared only by this builtin's
;; global. Once `tick-ref` is inlined the global is dead and removed, and
;; the linked module must declare the import itself.
(module
  (import "env" "tick" (func $tick))
  (global $declares funcref (ref.func $tick))
  (func (export "tick-ref") (result funcref) (ref.func $tick)))
