;; The app imports `env.counter` as a global; the virtualizer exports a
;; function under that name.
(module
  (import "env" "counter" (global (mut i32))))
