;; Names with terminal escape sequences, a carriage return and a
;; right-to-left override: every one is escaped in the message.
(module
  (import "lib" "\1b[2Jget\0d\e2\80\aeevil" (func)))
