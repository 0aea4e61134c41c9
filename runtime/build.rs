//! Builds the C helper that brackets every call into JIT code with
//! `sigsetjmp`, so a trap's signal handler can unwind to the call entry.
//! Rust cannot call `sigsetjmp` itself (it "returns twice"), hence C.

fn main() {
    println!("cargo:rerun-if-changed=src/trap/helpers.c");
    cc::Build::new()
        .file("src/trap/helpers.c")
        .warnings(true)
        .compile("wasm_prelink_runtime_helpers");
}
