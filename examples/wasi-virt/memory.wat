;; The app's linear memory, shared with the virtualizer: the app built with
;; `-Wl,--import-memory` imports `env.memory` (2 pages, no maximum), and so
;; does the virtualizer. Given as `--builtin env=memory.wat`, the memory
;; becomes part of the linked module, which then needs nothing from its
;; host but WASI.
(module
  (memory (export "memory") 2))
