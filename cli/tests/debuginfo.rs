//! Debug information survives linking (`linker/src/debug/`), shown on real
//! compilers' output: the C example of `examples/c-host-buf` built with
//! `clang -g`, and the Rust program of `examples/rust-host-buf` built with
//! `-C debuginfo=2` (`cli/tests/data/rust-host-buf.wasm`), each linked with
//! the C builtin built with `-g`, in every inline mode and with a
//! store-data descriptor; the C example and builtin with DWARF 5, which
//! takes the converting path; and the C example's app with a builtin built
//! with link-time optimization from `linker/tests/data/debug/lto/`, whose
//! functions name what they inlined in another unit, and with the builtin
//! written in Rust (`linker/tests/data/debug/rust-builtin.wasm`), whose
//! DWARF rustc wrote.
//!
//! For each link:
//! - every instruction of the output that came from an input (the link's
//!   code map, itself checked against the bytes by
//!   `linker/tests/code_map.rs`) has, by the output's line table, the
//!   file:line the input's line table gives that instruction — the app's
//!   own code and the builtin's code inlined into it alike; and every
//!   instruction of the app that survives is among them;
//! - every such instruction that is in a function of its own (not inlined
//!   by the link) has, by the output's DIEs, the chain of frames the
//!   input's DIEs give it: its function, and the functions the compiler
//!   inlined into it with their call sites (`DW_TAG_subprogram` and
//!   `DW_TAG_inlined_subroutine` ranges, moved with the code); builtin
//!   code the link inlined has the builtin's chain there, then the
//!   caller's chain at the call;
//! - `llvm-dwarfdump --verify` finds no error in the output;
//! - a trap in the app's own code, run on Wasmtime with backtrace details,
//!   names the app's source file and the line of the trap.
//!
//! Needs clang for wasm32 (`examples/c-host-buf/build.sh`) and
//! llvm-dwarfdump (Debian's `llvm`); `.ci/run` installs both. The same
//! checks on the 39 MB module of the DWARF benchmark are an ignored test
//! (see [`benchmark_module_keeps_every_line_and_frame`]).

mod support;

use addr2line::gimli;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use support::{
    build_c_example, build_c_example_dwarf, instruction_offsets, prelink, repo, scratch,
};
use wasm_prelink::debug::map::CodeMap;
use wasm_prelink::{InlineMode, Linked, Linker};
use wasmparser::{Parser, Payload};

/// A module's DWARF, symbolized by the line table as `addr2line` does.
struct Symbols {
    context: addr2line::Context<gimli::EndianSlice<'static, gimli::LittleEndian>>,
}

impl Symbols {
    fn of(wasm: &[u8]) -> Symbols {
        let mut sections = std::collections::BTreeMap::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::CustomSection(custom) = payload.expect("valid module") {
                if custom.name().starts_with(".debug_") {
                    sections.insert(custom.name().to_string(), custom.data().to_vec());
                }
            }
        }
        // A test's modules are few and small: their sections live as long
        // as the test process.
        let dwarf = gimli::Dwarf::load(|id| {
            let data: &'static [u8] = sections
                .get(id.name())
                .map_or(&[], |d: &Vec<u8>| Vec::leak(d.clone()));
            Ok::<_, gimli::Error>(gimli::EndianSlice::new(data, gimli::LittleEndian))
        })
        .expect("DWARF loads");
        Symbols {
            context: addr2line::Context::from_dwarf(dwarf).expect("DWARF reads"),
        }
    }

    /// `file:line` of the code at `address`, if the line table covers it.
    fn at(&self, address: u32) -> Option<String> {
        let location = self
            .context
            .find_location(u64::from(address))
            .expect("line table reads")?;
        Some(format!("{}:{}", location.file?, location.line?))
    }

    /// The frames of the code at `address`, innermost first, as the DIEs
    /// give them: each function's name and the file:line in it (of the
    /// code itself for the innermost, of the inlined call for the others).
    /// Empty where no function's DIE covers the address.
    fn frames(&self, address: u32) -> Vec<String> {
        let mut frames = self
            .context
            .find_frames(u64::from(address))
            .skip_all_loads()
            .expect("DIEs read");
        let mut chain = Vec::new();
        while let Some(frame) = frames.next().expect("DIEs read") {
            let name = frame
                .function
                .map(|f| String::from_utf8_lossy(f.name.slice()).into_owned())
                .unwrap_or_default();
            let place = frame.location.map_or(String::new(), |l| {
                format!("{}:{}", l.file.unwrap_or_default(), l.line.unwrap_or(0))
            });
            chain.push(format!("{name} at {place}"));
        }
        chain
    }
}

/// Where every instruction of a module's code starts, relative to the Code
/// section's contents (DWARF's addresses).
fn instructions(wasm: &[u8]) -> Vec<u32> {
    let (base, starts) = instruction_offsets(wasm);
    starts.iter().map(|at| (at - base) as u32).collect()
}

/// The checks of the module documentation for one program: `app` linked
/// with `builtin` as `host-buf`; `trap` is the export and argument that
/// trap in the app's code, `source` the app's file as its DWARF names it
/// (ending) and `trap_line` the line of the trap.
struct Program<'a> {
    name: &'a str,
    app: Vec<u8>,
    builtin: Vec<u8>,
    source: &'a str,
    trap: (&'a str, u64),
    trap_line: u32,
    /// An export whose call of the builtin reaches an intrinsic: with the
    /// intrinsics as imports that trap, it traps inside builtin code.
    builtin_trap: &'a str,
}

impl<'a> Program<'a> {
    /// The C example's app `app` linked with `builtin`.
    fn c_app(name: &'a str, app: Vec<u8>, builtin: Vec<u8>) -> Program<'a> {
        Program {
            name,
            app,
            builtin,
            source: "app.c",
            trap: ("mean", 0),
            trap_line: line_of("examples/c-host-buf/app.c", "trap: the mean of no bytes"),
            builtin_trap: "length",
        }
    }

    /// The Rust program of `examples/rust-host-buf` linked with `builtin`.
    fn rust_app(name: &'a str, builtin: Vec<u8>) -> Program<'a> {
        let app = std::fs::read(repo("cli/tests/data/rust-host-buf.wasm")).expect("fixture");
        Program {
            name,
            app,
            builtin,
            source: "lib.rs",
            trap: ("mean", 0),
            trap_line: line_of(
                "examples/rust-host-buf/lib.rs",
                "trap: the mean of no bytes",
            ),
            builtin_trap: "count",
        }
    }
}

impl Program<'_> {
    fn check_all(&self, dir: &Path) {
        let app_symbols = Symbols::of(&self.app);
        let builtin_symbols = Symbols::of(&self.builtin);
        let inputs = [&builtin_symbols, &app_symbols];
        let (mut inlined, mut calls) = (0, 0);
        // The frames of the trap in builtin code, as the link without
        // inlining gives them.
        let mut uninlined: Option<Vec<Vec<String>>> = None;
        for inline in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
            for descriptor in [0, 16] {
                let what = format!("{} ({inline:?}, descriptor {descriptor})", self.name);
                let linker = Linker::new()
                    .inline(inline)
                    .store_data_descriptor(descriptor)
                    .builtin("host-buf", &self.builtin)
                    .unwrap_or_else(|e| panic!("{what}: the builtin: {e}"));
                let file = dir.join(format!(
                    "{}-{inline:?}-{descriptor}.wasm",
                    self.name.replace(' ', "-")
                ));
                let (linked, compared) = checked_link(&what, &linker, &self.app, &inputs, &file);
                assert!(
                    compared.lines > 100 && compared.chains > 100,
                    "{what}: only {compared:?} compared"
                );
                inlined += compared.inlined;
                calls += compared.calls;
                // Core Wasmtime gets the intrinsics as imports that trap;
                // loads hoisted to entry would trap before the app does.
                if descriptor == 0 {
                    self.trap_names_the_line(&what, &linked.wasm);
                    let frames = self.trap_frames(&what, &linked.wasm);
                    match (inline, &uninlined) {
                        (InlineMode::None, _) => uninlined = Some(frames),
                        (_, Some(separate)) => {
                            // One frame fewer, the same functions: the
                            // builtin's frame (with what its compiler
                            // inlined into it) inlined into the app's.
                            let expected: Vec<&String> = separate.iter().flatten().collect();
                            let found: Vec<&String> = frames.iter().flatten().collect();
                            assert_eq!(found, expected, "{what}: the trap's functions");
                            assert_eq!(frames.len(), separate.len() - 1, "{what}: {frames:?}");
                        }
                        (_, None) => unreachable!("the link without inlining comes first"),
                    }
                }
            }
        }
        // Code the compiler inlined was among what kept its frames, and so
        // was builtin code the link inlined.
        assert!(inlined > 10, "{}: {inlined} inlined frames", self.name);
        assert!(
            calls > 10,
            "{}: {calls} frames of inlined builtin code",
            self.name
        );
        // Not inlined, the builtin's function is a frame of its own, under
        // the app's.
        let frames = uninlined.expect("a link without inlining");
        assert!(
            frames.len() >= 2 && frames[0].last().is_some_and(|f| f == "len"),
            "{}: {frames:?}",
            self.name
        );
    }

    /// The frames of the trap of export `builtin_trap` on Wasmtime with
    /// backtrace details, innermost first, each as the functions Wasmtime
    /// symbolizes it with, those inlined into it first.
    fn trap_frames(&self, what: &str, wasm: &[u8]) -> Vec<Vec<String>> {
        let (mut store, instance) = instantiate(wasm);
        let func = instance
            .get_func(&mut store, self.builtin_trap)
            .unwrap_or_else(|| panic!("{what}: no export `{}`", self.builtin_trap));
        let ty = func.ty(&store);
        let params: Vec<wasmtime::Val> = ty
            .params()
            .map(|p| wasmtime::Val::default_for_ty(&p).expect("a default"))
            .collect();
        let mut results = vec![wasmtime::Val::I32(0); ty.results().len()];
        let error = func
            .call(&mut store, &params, &mut results)
            .expect_err("the export traps in the builtin");
        let backtrace = error
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .unwrap_or_else(|| panic!("{what}: no backtrace in {error:?}"));
        backtrace
            .frames()
            .iter()
            .map(|frame| {
                frame
                    .symbols()
                    .iter()
                    .map(|symbol| symbol.name().unwrap_or_default().to_string())
                    .collect()
            })
            .collect()
    }

    /// Runs the trapping export of the linked module on Wasmtime with
    /// backtrace details: the innermost frame names the app's file and the
    /// line the unlinked app's trap names, near the line marked in the
    /// source.
    fn trap_names_the_line(&self, what: &str, wasm: &[u8]) {
        let expected = self.trap_location(&format!("{} unlinked", self.name), &self.app);
        let found = self.trap_location(what, wasm);
        assert_eq!(found, expected, "{what}: the trap's location");
        assert!(
            expected.0.ends_with(self.source),
            "{what}: trap in `{}`, not the app's `{}`",
            expected.0,
            self.source
        );
        assert!(
            (self.trap_line - 1..=self.trap_line).contains(&expected.1),
            "{what}: the trap is at line {}, the source marks {}",
            expected.1,
            self.trap_line
        );
    }

    /// The file and line of the innermost frame of the trap of `wasm`.
    fn trap_location(&self, what: &str, wasm: &[u8]) -> (String, u32) {
        let (mut store, instance) = instantiate(wasm);
        let (export, argument) = self.trap;
        let func = instance
            .get_typed_func::<u64, u32>(&mut store, export)
            .expect("the trapping export");
        let error = func
            .call(&mut store, argument)
            .expect_err("the export traps");
        let backtrace = error
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .unwrap_or_else(|| panic!("{what}: no backtrace in {error:?}"));
        let frame = backtrace.frames().first().expect("a frame");
        let symbol = frame
            .symbols()
            .first()
            .unwrap_or_else(|| panic!("{what}: the trapping frame has no symbols: {backtrace}"));
        let line = symbol
            .line()
            .unwrap_or_else(|| panic!("{what}: no line: {backtrace}"));
        (symbol.file().unwrap_or_default().to_string(), line)
    }
}

/// `wasm` instantiated on Wasmtime with backtrace details, its imports
/// (the intrinsics, on core Wasmtime) functions that trap, and its
/// reactor initialized.
fn instantiate(wasm: &[u8]) -> (wasmtime::Store<()>, wasmtime::Instance) {
    let mut config = wasmtime::Config::new();
    config.wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Enable);
    let engine = wasmtime::Engine::new(&config).expect("engine");
    let module = wasmtime::Module::new(&engine, wasm).expect("Wasmtime compiles the output");
    let mut store = wasmtime::Store::new(&engine, ());
    let mut linker = wasmtime::Linker::new(&engine);
    linker
        .define_unknown_imports_as_traps(&module)
        .expect("imports");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        init.call(&mut store, ()).expect("_initialize");
    }
    (store, instance)
}

/// `app` linked by `linker`, and what every link of these tests must
/// show: no warning about debug information, [`same_places`], and a clean
/// `llvm-dwarfdump --verify` of the output, written to `file`.
fn checked_link(
    what: &str,
    linker: &Linker,
    app: &[u8],
    inputs: &[&Symbols; 2],
    file: &Path,
) -> (Linked, Compared) {
    let linked = linker
        .link(app)
        .unwrap_or_else(|e| panic!("{what}: links: {e}"));
    assert!(
        !linked.report.warnings.iter().any(|w| w.contains("debug")),
        "{what}: {:?}",
        linked.report.warnings
    );
    let map = linked.code_map.as_ref().expect("a code map");
    let compared = same_places(what, app, &linked.wasm, map, inputs);
    std::fs::write(file, &linked.wasm).expect("write output");
    verify_dwarf(what, file);
    (linked, compared)
}

/// How much [`same_places`] compared: instructions by their line, by their
/// chain of frames, and of those, chains of more than one frame (code the
/// compiler inlined, described by `DW_TAG_inlined_subroutine`).
#[derive(Debug)]
struct Compared {
    lines: usize,
    chains: usize,
    inlined: usize,
    /// Instructions of builtin code the link inlined whose frames were
    /// compared.
    calls: usize,
}

/// Every instruction of `wasm` that `map` traces to an input (`inputs`,
/// the builtin's then the app's) has that input's location by the line
/// table; every one in a function of its own (not inlined by the link)
/// also has the input's chain of frames by the DIEs, so function ranges,
/// inlined subroutines and their call sites all moved with the code. Every
/// app instruction with a location that is still in the output is among
/// them.
fn same_places(
    what: &str,
    app: &[u8],
    wasm: &[u8],
    map: &CodeMap,
    inputs: &[&Symbols; 2],
) -> Compared {
    let output = Symbols::of(wasm);
    let mut compared = Compared {
        lines: 0,
        chains: 0,
        inlined: 0,
        calls: 0,
    };
    let mut app_kept = BTreeSet::new();
    for at in instructions(wasm) {
        let (Some(origin), site) = map.lookup(at) else {
            continue;
        };
        let input = inputs[origin.input as usize];
        if let Some(expected) = input.at(origin.offset) {
            let found = output.at(at);
            assert_eq!(
                found.as_deref(),
                Some(expected.as_str()),
                "{what}: output {at:#x} came from input {} at {:#x}",
                origin.input,
                origin.offset
            );
            compared.lines += 1;
            if origin.input == 1 && site.is_none() {
                app_kept.insert(origin.offset);
            }
        }
        let expected = match site {
            None => input.frames(origin.offset),
            Some(site) => inlined_frames(
                input,
                origin.offset,
                inputs[site.input as usize],
                site.offset,
            ),
        };
        if !expected.is_empty() {
            assert_eq!(
                output.frames(at),
                expected,
                "{what}: frames of output {at:#x}, from input {} at {:#x} (inlined at {site:?})",
                origin.input,
                origin.offset
            );
            compared.chains += 1;
            compared.inlined += usize::from(expected.len() > 1);
            compared.calls += usize::from(site.is_some());
        }
    }
    // The app's instructions with a location that the output lacks can
    // only be calls of the builtin that inlining replaced.
    let code_start = instructions_base(app);
    for at in instructions(app) {
        if inputs[1].at(at).is_some() && !app_kept.contains(&at) {
            assert_eq!(
                app[code_start + at as usize],
                0x10,
                "{what}: the app's instruction at {at:#x} is not in the output"
            );
        }
    }
    compared
}

/// The frames of builtin code at `offset` of `callee` that the link
/// inlined at the call at `site` of `caller`, as a compiler's inlining
/// would give them: the builtin's own frames there (what its compiler
/// inlined into the function, then the function), then the caller's
/// frames at the call. Empty when either has no DIE there, or the code
/// has no line.
fn inlined_frames(callee: &Symbols, offset: u32, caller: &Symbols, site: u32) -> Vec<String> {
    let own = callee.frames(offset);
    let calling = caller.frames(site);
    if own.is_empty() || callee.at(offset).is_none() || calling.is_empty() {
        return Vec::new();
    }
    own.into_iter().chain(calling).collect()
}

/// Where a module's Code section contents start in its file.
fn instructions_base(wasm: &[u8]) -> usize {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionStart {
            unchecked_range, ..
        } = payload.expect("valid module")
        {
            return unchecked_range.start as usize;
        }
    }
    panic!("no code section")
}

/// `llvm-dwarfdump --verify` passes on `file`.
fn verify_dwarf(what: &str, file: &Path) {
    let output = Command::new("llvm-dwarfdump")
        .arg("--verify")
        .arg(file)
        .output()
        .expect("llvm-dwarfdump runs (Debian's `llvm`)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("No errors."),
        "{what}: llvm-dwarfdump --verify `{}`:\n{text}{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The builtin of `linker/tests/data/debug/lto/` built with link-time
/// optimization as its README says, but with its source paths as they
/// are: the fixture built from it names them relative to the repository,
/// and a relative path named from the app's unit is relative to the app's
/// compilation directory, so the two would not give the same string.
fn build_lto_builtin(dir: &Path) -> Vec<u8> {
    let out = dir.join("builtin-lto.wasm");
    let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let build = Command::new(&clang)
        .current_dir(repo("linker/tests/data/debug/lto"))
        .args(["--target=wasm32", "-O2", "-g", "-flto", "-nostdlib"])
        .args([
            "-Wl,--no-entry",
            "-Wl,--allow-undefined",
            "buffer.c",
            "builtin.c",
        ])
        .arg("-o")
        .arg(&out)
        .output()
        .expect("clang runs");
    assert!(
        build.status.success(),
        "{clang} failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    std::fs::read(&out).expect("built")
}

/// The line of `source` (relative to the repository) holding `marker`.
fn line_of(source: &str, marker: &str) -> u32 {
    let text = std::fs::read_to_string(repo(source)).expect("read source");
    let index = text
        .lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("`{marker}` in {source}"));
    index as u32 + 1
}

#[test]
fn dwarf_survives_linking() {
    let dir = scratch("debuginfo");
    let built = build_c_example(&dir, true);
    let read = |file: &str| std::fs::read(built.join(file)).expect("built");
    let builtin = read("builtin.wasm");
    Program::c_app("C example", read("app.wasm"), builtin.clone()).check_all(&dir);
    Program::rust_app("Rust program", builtin).check_all(&dir);
    // What the builtin inlined across its units (`DW_FORM_ref_addr`
    // origins) keeps its frames in every copy too.
    let lto = build_lto_builtin(&dir);
    Program::c_app(
        "C example with a builtin built with LTO",
        read("app.wasm"),
        lto,
    )
    .check_all(&dir);
    // A builtin whose DWARF rustc wrote: its functions in a namespace,
    // what it inlined nested two deep.
    let rust_builtin = repo("linker/tests/data/debug/rust-builtin.wasm");
    let rust_builtin = std::fs::read(rust_builtin).expect("fixture");
    let name = "C example with a Rust builtin";
    Program::c_app(name, read("app.wasm"), rust_builtin.clone()).check_all(&dir);
    Program::rust_app("Rust program with a Rust builtin", rust_builtin).check_all(&dir);
    // DWARF 5 (split string offsets, address table, range and location
    // list sections): read and written through gimli rather than patched.
    let built = build_c_example_dwarf(&dir, 5);
    let read = |file: &str| std::fs::read(built.join(file)).expect("built");
    Program::c_app(
        "C example with DWARF 5",
        read("app.wasm"),
        read("builtin.wasm"),
    )
    .check_all(&dir);
}

/// The checks of [`Program::check_all`] but the trap, on the 39 MB Rust
/// module `scripts/build-dwarf-bench-module.sh` builds (`opt-level = 1`,
/// `debug = 2`: hundreds of thousands of inlined subroutines and location
/// lists, read by the patching path), linked in every inline mode
/// with a builtin that forwards its two `host` imports, as the benchmark
/// links it. Too large for the debug build the test suite runs: build the
/// module, then `cargo test --release -p cli --test debuginfo -- --ignored`.
#[test]
#[ignore]
fn benchmark_module_keeps_every_line_and_frame() {
    let path = repo("target/bench-modules/rust-wat-debug.wasm");
    let app = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run scripts/build-dwarf-bench-module.sh"));
    let builtin = r#"(module
        (import "host-forwarded" "limit" (func $limit (result i32)))
        (import "host-forwarded" "report" (func $report (param i32)))
        (func (export "limit") (result i32) call $limit)
        (func (export "report") (param i32) local.get 0 call $report))"#;
    let builtin = wat::parse_str(builtin).expect("the builtin assembles");
    let dir = scratch("benchmark-module");
    let app_symbols = Symbols::of(&app);
    // The builtin has no DWARF: its code, inlined or not, is not compared.
    let builtin_symbols = Symbols::of(&builtin);
    let inputs = [&builtin_symbols, &app_symbols];
    for inline in [InlineMode::None, InlineMode::Auto, InlineMode::All] {
        let what = format!("benchmark module ({inline:?})");
        let linker = Linker::new()
            .inline(inline)
            .builtin("host", &builtin)
            .unwrap_or_else(|e| panic!("{what}: the builtin: {e}"));
        let file = dir.join(format!("benchmark-{inline:?}.wasm"));
        let (linked, compared) = checked_link(&what, &linker, &app, &inputs, &file);
        assert!(
            linked.report.warnings.is_empty(),
            "{what}: {:?}",
            linked.report.warnings
        );
        assert!(
            compared.lines > 500_000 && compared.inlined > 500_000,
            "{what}: only {compared:?} compared"
        );
    }
}

/// The command line: `--strip-debug` drops the debug sections without a
/// word; without it they are rewritten, also without a warning.
#[test]
fn strip_debug_drops_it_quietly() {
    let dir = scratch("strip-debug");
    let app = repo("cli/tests/data/rust-host-buf.wasm");
    let builtin = format!("host-buf={}", repo("linker/tests/data/debug/builtin.wasm"));
    let has_dwarf = |file: &str| {
        let bytes = std::fs::read(dir.join(file)).expect("output");
        let found = Parser::new(0)
            .parse_all(&bytes)
            .any(|p| matches!(p, Ok(Payload::CustomSection(c)) if c.name().starts_with(".debug_")));
        found
    };
    let kept = prelink(
        &["link", &app, "--builtin", &builtin, "-o", "kept.wasm"],
        &dir,
    );
    assert!(kept.status.success(), "{kept:?}");
    assert!(
        !String::from_utf8_lossy(&kept.stderr).contains("debug"),
        "{kept:?}"
    );
    assert!(has_dwarf("kept.wasm"));
    let stripped = prelink(
        &[
            "link",
            &app,
            "--builtin",
            &builtin,
            "--strip-debug",
            "-o",
            "stripped.wasm",
        ],
        &dir,
    );
    assert!(stripped.status.success(), "{stripped:?}");
    assert!(
        !String::from_utf8_lossy(&stripped.stderr).contains("debug"),
        "{stripped:?}"
    );
    assert!(!has_dwarf("stripped.wasm"));
}
