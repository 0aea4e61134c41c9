//! The trust boundary as the command shows it: a link through which the app
//! could obtain an intrinsic fails with every way listed, exit status 1, and
//! no output file — also when one existed before.

mod support;

use support::{assert_error, scratch, wasm_prelink};

#[test]
fn a_leaky_builtin_fails_the_link_and_writes_nothing() {
    let dir = scratch("leaky");
    let app = dir.join("app.wat");
    let builtin = dir.join("leaky.wat");
    let out = dir.join("out.wasm");
    std::fs::write(
        &app,
        r#"(module
          (import "leaky" "tab" (table 1 funcref))
          (import "leaky" "leak" (func (result funcref))))"#,
    )
    .expect("write app");
    std::fs::write(
        &builtin,
        r#"(module
          (import "unsafe-intrinsics" "u8-native-load" (func $load (param i64) (result i32)))
          (table (export "tab") 1 funcref (ref.func $load))
          (func (export "leak") (result funcref) (ref.func $load)))"#,
    )
    .expect("write builtin");
    let previous = b"an earlier output".to_vec();
    std::fs::write(&out, &previous).expect("write previous output");
    let output = wasm_prelink()
        .arg("link")
        .arg(&app)
        .arg("--builtin")
        .arg(format!("leaky={}", builtin.display()))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("the binary runs");
    let intrinsic = "takes a reference to the intrinsic `unsafe-intrinsics::u8-native-load`";
    assert_error(
        &output,
        &format!(
            "error: cannot link `{}` with builtin `leaky` from `{}`: the app could obtain an \
             intrinsic in 2 ways:\n  \
             - export `tab` of builtin `leaky` is `(table 1 funcref)`, which can carry function \
             references, and builtin `leaky` {intrinsic}\n  \
             - export `leak` of builtin `leaky` is `(func (result funcref))`, which can carry \
             function references, and builtin `leaky` {intrinsic}",
            app.display(),
            builtin.display()
        ),
    );
    assert_eq!(std::fs::read(&out).expect("output kept"), previous);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("list dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 3, "{leftovers:?}");
}
