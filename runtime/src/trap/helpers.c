// Entry and unwind points for calls into JIT code.
//
// A trap is detected in a signal handler (a guard-page fault, a `ud2`, a
// hardware division fault) while JIT code is on the stack. The handler
// cannot return into that code, so it jumps back to the point where the
// host entered Wasm, set up here with `sigsetjmp`. Only JIT frames, which
// own no resources, lie between the two; host functions called from Wasm
// report errors by return value and never unwind through here.
//
// `sigsetjmp(buf, 0)` does not save the signal mask: the handlers are
// installed with SA_NODEFER, so the trapping signal is not blocked while the
// handler runs and the mask needs no restoring after the jump.

#include <setjmp.h>

typedef void (*wasm_prelink_body)(void *arg, void *jmp_buf);

// Calls `body(arg, buf)` with `buf` armed; returns 0 when `body` returned,
// 1 when `wasm_prelink_unwind(buf)` jumped back.
int wasm_prelink_catch(wasm_prelink_body body, void *arg) {
    sigjmp_buf buf;
    if (sigsetjmp(buf, 0) == 0) {
        body(arg, &buf);
        return 0;
    }
    return 1;
}

// Jumps to the `wasm_prelink_catch` that armed `buf`.
void wasm_prelink_unwind(void *buf) {
    siglongjmp(*(sigjmp_buf *)buf, 1);
}
