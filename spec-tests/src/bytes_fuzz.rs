//! Byte-level robustness fuzzing of the linker: hostile inputs, not
//! programs.
//!
//! The differential fuzzer ([`crate::fuzz`]) generates *valid* programs
//! and checks that linking keeps their meaning. This one checks the other
//! promise: whatever bytes arrive, `link` returns a valid module or an
//! error — never a panic, never an invalid output (which the linker reports
//! as an internal error), never a hang. Inputs are mutated from valid
//! modules, so they get past the magic number and into the parsers:
//!
//! - the modules of a differential case (wasm-smith builtin and app), and a
//!   small [`CORPUS`] of modules that carry every custom section the linker
//!   reads or copies — a full name section (functions, locals, labels,
//!   types, fields, tables, memories, globals, segments, tags), branch
//!   hints, producers, target features, `dylink.0`, object-file sections
//!   and DWARF, and a clang-built app with real DWARF 4 and 5 and
//!   builtins for it with real DWARF 4: the one it imports, one built with
//!   link-time optimization and one written in Rust ([`BINARY_CORPUS`]);
//! - mutated by [`Mutation`]: bytes flipped anywhere; bytes flipped,
//!   inserted or removed inside one custom section's payload (validation
//!   never looks there, so this is where a linker meets unchecked data);
//!   a custom section's payload replaced by random bytes; truncation;
//!   random bytes spliced in; or no module at all, just random bytes (with
//!   or without the magic number).
//!
//! Every input is linked as the app (with a builtin it may import from) and
//! as a builtin (behind an app importing from it), in every inline mode.
//! A panic is caught and reported with the seed that reproduces it.
//! Outputs are checked by wasmparser's validator and, for the custom
//! sections the linker writes (name, branch hints), by its custom-section
//! validator: a name pointing at a non-existent local is a wrong result
//! too.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_prelink::{InlineMode, LinkError, Linker};

/// Module name under which the fuzzed builtin is registered, and which the
/// companion app imports from.
pub const BUILTIN: &str = "lib";

/// Modules carrying every custom section the linker reads or copies. The
/// last import of each app-shaped module comes from [`BUILTIN`], so linking
/// it with [`COMPANION_BUILTIN`] resolves something.
pub const CORPUS: &[&str] = &[
    // Names of every kind, on defined and imported items.
    r#"(module $named
        (type $pair (struct (field $left i32) (field $right (mut i64))))
        (type $sig (func (param i32) (result i32)))
        (import "lib" "f" (func $imported (type $sig)))
        (import "lib" "g" (global $ig i32))
        (memory $mem 1)
        (table $tab 2 funcref)
        (global $glob (mut i32) (i32.const 0))
        (tag $oops (param i32))
        (data $bytes (memory $mem) (i32.const 0) "hello")
        (elem $refs (table $tab) (i32.const 0) func $body $imported)
        (func $body (export "body") (param $p i32) (result i32) (local $tmp i32) (local $wide i64)
          (block $outer (result i32)
            (loop $again
              (br_if $again (i32.eqz (local.get $p))))
            (if $check (result i32) (local.get $p)
              (then (call $imported (local.get $p)))
              (else (global.get $ig))))))"#,
    // Branch hints on `if` and `br_if`, in a function whose calls move.
    r#"(module
        (import "lib" "f" (func $f (param i32) (result i32)))
        (func (export "hinted") (param i32) (result i32)
          (call $f (local.get 0))
          (@metadata.code.branch_hint "\01")
          (if (result i32) (then (i32.const 1)) (else (call $f (i32.const 2))))
          (block (param i32) (result i32)
            (local.get 0)
            (@metadata.code.branch_hint "\00")
            (br_if 0)
            (drop) (call $f (i32.const 3)))))"#,
    // Toolchain sections: producers, target features, a dynamic-library
    // header, object-file sections and DWARF.
    r#"(module
        (@producers (language "C" "11") (processed-by "clang" "18.1") (sdk "wasi-sdk" "22"))
        (@custom "target_features" "\02+\0bbulk-memory+\08sign-ext")
        (@custom "dylink.0" "\01\04\00\00\00\00")
        (@custom "linking" "\02\08\04\01\00\00\00")
        (@custom "reloc.CODE" "\03\01\00\04\00")
        (@custom ".debug_info" "\01\02\03\04")
        (@custom "sourceMappingURL" "app.wasm.map")
        (import "lib" "f" (func $f (param i32) (result i32)))
        (func (export "run") (param i32) (result i32) (call $f (local.get 0))))"#,
    // A builtin reading and writing the store data in the shapes the
    // descriptor pass follows: sequences, blocks, locals, a branch table,
    // a store through an address traced to the descriptor and, behind a
    // call the inliner leaves alone (a recursive function), one that is
    // not.
    r#"(module
        (import "unsafe-intrinsics" "store-data-address" (func $sda (result i64)))
        (import "unsafe-intrinsics" "u64-native-load" (func $load (param i64) (result i64)))
        (import "unsafe-intrinsics" "u64-native-store" (func $store (param i64 i64)))
        (import "unsafe-intrinsics" "u8-checked-native-load" (func $get (param i64 i64 i64) (result i32)))
        (import "unsafe-intrinsics" "u8-checked-native-store" (func $set (param i64 i64 i64 i32)))
        (func $len (result i64) (call $load (i64.add (call $sda) (i64.const 8))))
        (func (export "run") (param $n i32) (result i32) (local $i i64) (local $sum i32)
          (block $done
            (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $sum (i32.add (local.get $sum)
                (call $get (call $load (call $sda))
                  (local.get $i)
                  (block (result i64) (call $load (i64.add (call $sda) (i64.const 8)))))))
              (call $set (call $load (call $sda)) (local.get $i) (call $len) (local.get $sum))
              (local.set $i (i64.add (local.get $i) (i64.const 1)))
              (br_table $next $done (local.get $n))))
          (call $store (i64.add (call $load (call $sda)) (local.get $i)) (i64.const 0))
          (local.get $sum))
        (func $shrink (export "shrink") (param $times i32) (local $at i64)
          (local.set $at (i64.add (call $sda) (i64.const 8)))
          (call $store (local.get $at) (i64.sub (call $load (local.get $at)) (i64.const 1)))
          (if (local.get $times)
            (then (call $shrink (i32.sub (local.get $times) (i32.const 1)))))))"#,
];

/// Binary modules of the corpus: an app built by clang with `-g` (the C
/// example's, `linker/tests/data/debug/app.wasm`), whose real DWARF —
/// units, abbreviations, line programs, strings, ranges — is what custom
/// section mutations then damage, so the DWARF rewrite meets every kind of
/// broken debug information a toolchain bug or a hostile file can give it;
/// and the same app with DWARF 5 (`app-dwarf5.wasm`), whose string offset,
/// address, range list and location list sections take gimli's
/// converting path instead of the patching one; and the builtin they
/// import ([`DWARF_BUILTIN`]), whose functions' own inlined subroutines
/// are read again for every copy the link makes of them, and a builtin
/// like it built with link-time optimization ([`DWARF_BUILTIN_LTO`]),
/// whose subroutines name their origins in another unit, and one written
/// in Rust ([`DWARF_BUILTIN_RUST`]), whose DWARF rustc wrote.
pub const BINARY_CORPUS: &[(&str, &[u8])] = &[
    ("the C example's app with DWARF", DWARF_APP),
    (
        "the C example's app with DWARF 5",
        include_bytes!("../../linker/tests/data/debug/app-dwarf5.wasm"),
    ),
    ("the C example's builtin with DWARF", DWARF_BUILTIN),
    (
        "a builtin with DWARF built with link-time optimization",
        DWARF_BUILTIN_LTO,
    ),
    ("a builtin with DWARF written in Rust", DWARF_BUILTIN_RUST),
];

/// The C example's app with DWARF, which imports [`DWARF_BUILTIN`]'s
/// functions as `host-buf`.
pub const DWARF_APP: &[u8] = include_bytes!("../../linker/tests/data/debug/app.wasm");

/// The builtin every app-shaped input is linked with: it exports what the
/// corpus imports.
pub const COMPANION_BUILTIN: &str = r#"(module
    (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (global (export "g") i32 (i32.const 7)))"#;

/// The app every builtin-shaped input is linked behind: it imports a
/// function that most inputs do not export, so linking fails cleanly for
/// those and resolves for the corpus's `body`/`hinted`/`run` exports.
pub const COMPANION_APP: &str = r#"(module
    (import "lib" "run" (func $run (param i32) (result i32)))
    (func (export "go") (result i32) (call $run (i32.const 5))))"#;

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every link returned a valid module or an error.
    Clean {
        /// Links that produced a module.
        linked: usize,
        /// Links that returned an error.
        rejected: usize,
    },
    /// A link panicked or produced a broken output; the message says which.
    Broken(String),
}

/// How an input was derived from its base module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// One to eight bytes anywhere replaced.
    FlipBytes,
    /// Bytes of one custom section's payload replaced, inserted or removed.
    CustomPayload,
    /// One custom section's payload replaced by random bytes.
    CustomGarbage,
    /// The module cut short.
    Truncate,
    /// Random bytes inserted somewhere.
    Splice,
    /// Random bytes behind the magic number and version.
    RandomWithHeader,
    /// Random bytes, possibly none.
    Random,
}

const MUTATIONS: [Mutation; 7] = [
    Mutation::FlipBytes,
    Mutation::CustomPayload,
    Mutation::CustomPayload,
    Mutation::CustomGarbage,
    Mutation::Truncate,
    Mutation::Splice,
    Mutation::Random,
];

/// A deterministic stream of numbers (SplitMix64): a seed is a case.
pub struct Rng(u64);

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// One generated input: the bytes and how they were made.
#[derive(Debug, Clone)]
pub struct Input {
    /// The seed that reproduces it.
    pub seed: u64,
    /// The bytes handed to the linker.
    pub bytes: Vec<u8>,
    /// How they were derived, for reports.
    pub description: String,
}

/// The input of `seed`.
pub fn input(seed: u64) -> Input {
    let mut rng = Rng::new(seed);
    let mutation = if rng.below(16) == 0 {
        Mutation::RandomWithHeader
    } else {
        MUTATIONS[rng.below(MUTATIONS.len())]
    };
    let (base, base_name) = base_module(&mut rng, seed);
    let bytes = mutate(&base, mutation, &mut rng);
    Input {
        seed,
        bytes,
        description: format!("{mutation:?} of {base_name}"),
    }
}

/// A valid module to start from: one of the corpus, or one of the
/// differential fuzzer's generated modules.
fn base_module(rng: &mut Rng, seed: u64) -> (Vec<u8>, String) {
    let choice = rng.below(CORPUS.len() + BINARY_CORPUS.len() + 2);
    if choice < CORPUS.len() {
        let bytes = wat::parse_str(CORPUS[choice]).unwrap_or_else(|e| {
            panic!("corpus module {choice} does not parse: {e}");
        });
        return (bytes, format!("corpus module {choice}"));
    }
    let choice = choice - CORPUS.len();
    if let Some((name, bytes)) = BINARY_CORPUS.get(choice) {
        return (bytes.to_vec(), (*name).to_string());
    }
    let choice = choice - BINARY_CORPUS.len();
    match crate::fuzz::generate(seed) {
        Ok(case) if choice == 0 => (case.app, format!("the app of fuzz case {seed}")),
        Ok(case) => (case.builtin, format!("the builtin of fuzz case {seed}")),
        Err(_) => (
            wat::parse_str(CORPUS[0]).unwrap_or_default(),
            "corpus module 0".into(),
        ),
    }
}

/// Applies `mutation` to `base`.
pub fn mutate(base: &[u8], mutation: Mutation, rng: &mut Rng) -> Vec<u8> {
    let mut bytes = base.to_vec();
    match mutation {
        Mutation::FlipBytes => {
            for _ in 0..1 + rng.below(8) {
                if bytes.len() > 8 {
                    let at = 8 + rng.below(bytes.len() - 8);
                    bytes[at] = rng.next() as u8;
                }
            }
        }
        Mutation::CustomPayload => match custom_payloads(&bytes).as_slice() {
            [] => return mutate(base, Mutation::FlipBytes, rng),
            payloads => {
                let (start, end) = payloads[rng.below(payloads.len())];
                mutate_payload(&mut bytes, start, end, rng);
            }
        },
        Mutation::CustomGarbage => match custom_payloads(&bytes).as_slice() {
            [] => return mutate(base, Mutation::Splice, rng),
            payloads => {
                let (start, end) = payloads[rng.below(payloads.len())];
                let garbage = rng.bytes(end - start);
                bytes[start..end].copy_from_slice(&garbage);
            }
        },
        Mutation::Truncate => bytes.truncate(rng.below(bytes.len().max(1))),
        Mutation::Splice => {
            let at = rng.below(bytes.len() + 1);
            let len = 1 + rng.below(16);
            let inserted = rng.bytes(len);
            bytes.splice(at..at, inserted);
        }
        Mutation::RandomWithHeader => {
            bytes = b"\0asm\x01\0\0\0".to_vec();
            let len = rng.below(64);
            bytes.extend(rng.bytes(len));
        }
        Mutation::Random => {
            let len = rng.below(16);
            bytes = rng.bytes(len);
        }
    }
    bytes
}

/// Changes bytes of the payload at `start..end` in place, keeping its
/// length (so the section's size prefix stays right and the damage stays
/// inside the section).
fn mutate_payload(bytes: &mut [u8], start: usize, end: usize, rng: &mut Rng) {
    if start == end {
        return;
    }
    for _ in 0..1 + rng.below(4) {
        let at = start + rng.below(end - start);
        bytes[at] = match rng.below(4) {
            0 => 0xff,
            1 => 0x7f,
            2 => bytes[at].wrapping_add(1),
            _ => rng.next() as u8,
        };
    }
}

/// The payload range (after the name) of every custom section.
fn custom_payloads(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(reader)) => {
                // An offset into `bytes`, so it fits in `usize`.
                let Ok(start) = usize::try_from(reader.data_offset()) else {
                    break;
                };
                found.push((start, start + reader.data().len()));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    found
}

/// The C example's builtin with DWARF (`linker/tests/data/debug/`), which
/// the corpus's clang-built apps import as `host-buf`: linked with it, its
/// code is inlined into them, so the DIEs added for inlined calls meet
/// damaged DWARF too.
pub const DWARF_BUILTIN: &[u8] = include_bytes!("../../linker/tests/data/debug/builtin.wasm");

/// The C example's builtin's `get`, `set` and `len` in two units, built
/// with link-time optimization (`linker/tests/data/debug/lto/`): what it
/// inlined across them names its origins with `DW_FORM_ref_addr`.
pub const DWARF_BUILTIN_LTO: &[u8] =
    include_bytes!("../../linker/tests/data/debug/builtin-lto.wasm");

/// The same API written in Rust (`linker/tests/data/debug/rust-builtin/`).
pub const DWARF_BUILTIN_RUST: &[u8] =
    include_bytes!("../../linker/tests/data/debug/rust-builtin.wasm");

/// Links `input` as the app and as a builtin, in every inline mode; an
/// input naming `host-buf` also as the app of [`DWARF_BUILTIN`], and one
/// with DWARF that imports the intrinsics also as the builtin of
/// [`DWARF_APP`].
pub fn check(input: &Input) -> Outcome {
    let mut linked = 0;
    let mut rejected = 0;
    let mut roles = vec![Role::App, Role::Builtin];
    if has(&input.bytes, b"host-buf") {
        roles.push(Role::DwarfApp);
    }
    if is_dwarf_builtin(&input.bytes) {
        roles.push(Role::DwarfBuiltin);
    }
    for mode in crate::fuzz::MODES {
        for &role in &roles {
            match link_once(&input.bytes, role, mode) {
                Ok(true) => linked += 1,
                Ok(false) => rejected += 1,
                Err(problem) => {
                    return Outcome::Broken(format!(
                        "{} as {role:?} with --inline {}: {problem}",
                        input.description,
                        crate::fuzz::mode_name(mode)
                    ))
                }
            }
        }
    }
    Outcome::Clean { linked, rejected }
}

/// Whether `bytes` look like a builtin with DWARF: they import the
/// intrinsics and have a `.debug_info` (mutated ones are tried as the
/// builtin of [`DWARF_APP`] then).
pub fn is_dwarf_builtin(bytes: &[u8]) -> bool {
    has(bytes, b"unsafe-intrinsics") && has(bytes, b".debug_info")
}

/// Whether `name` occurs anywhere in `bytes`.
fn has(bytes: &[u8], name: &[u8]) -> bool {
    bytes.windows(name.len()).any(|window| window == name)
}

/// Which part the fuzzed bytes play.
#[derive(Debug, Clone, Copy)]
enum Role {
    App,
    Builtin,
    /// The app of [`DWARF_BUILTIN`].
    DwarfApp,
    /// The builtin `host-buf` of [`DWARF_APP`].
    DwarfBuiltin,
}

/// One link: `Ok(true)` for a valid output, `Ok(false)` for a clean error,
/// `Err` for a panic or a broken output.
fn link_once(bytes: &[u8], role: Role, mode: InlineMode) -> Result<bool, String> {
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        // The descriptor pass runs on every link too, on whatever the
        // mutations made of the store-data accesses above.
        let linker = Linker::new().inline(mode).store_data_descriptor(16);
        match role {
            Role::App => linker
                .builtin(BUILTIN, COMPANION_BUILTIN)
                .and_then(|l| l.link(bytes)),
            Role::Builtin => linker
                .builtin(BUILTIN, bytes)
                .and_then(|l| l.link(COMPANION_APP.as_bytes())),
            Role::DwarfApp => linker
                .builtin("host-buf", DWARF_BUILTIN)
                .and_then(|l| l.link(bytes)),
            Role::DwarfBuiltin => linker
                .builtin("host-buf", bytes)
                .and_then(|l| l.link(DWARF_APP)),
        }
    }));
    match attempt {
        Err(panic) => Err(format!("panicked: {}", panic_message(&*panic))),
        Ok(Err(LinkError::InvalidOutput(message))) => {
            Err(format!("produced an invalid module: {message}"))
        }
        Ok(Err(_)) => Ok(false),
        Ok(Ok(linked)) => check_output(&linked.wasm).map(|()| true),
    }
}

/// Validates an output, custom sections included.
fn check_output(wasm: &[u8]) -> Result<(), String> {
    let mut validator =
        wasmparser::Validator::new_with_features(wasm_prelink::validate::features());
    let mut customs = wasmparser::CustomSectionValidator::new();
    let mut bodies = Vec::new();
    let mut func = 0u32;
    let mut imported = 0u32;
    let mut module = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("the output does not parse: {e}"))?;
        validator
            .payload(&payload)
            .map_err(|e| format!("the output does not validate: {e}"))?;
        customs
            .payload(&payload, &validator)
            .map_err(|e| format!("a custom section of the output is wrong: {e}"))?;
        match payload {
            wasmparser::Payload::Version { .. } => module = Some(customs.current_module_id()),
            wasmparser::Payload::ImportSection(reader) => {
                imported = reader
                    .into_imports()
                    .filter_map(Result::ok)
                    .filter(|i| matches!(i.ty, wasmparser::TypeRef::Func(_)))
                    .count() as u32;
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                bodies.push((imported + func, body));
                func += 1;
            }
            _ => {}
        }
    }
    let module = module.ok_or("the output has no header")?;
    for (index, body) in &bodies {
        customs
            .code_section_entry(module, *index, body)
            .map_err(|e| format!("a custom section of the output is wrong: {e}"))?;
    }
    Ok(())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".into()
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Inputs checked.
    pub inputs: u64,
    /// Links that produced a valid module.
    pub linked: u64,
    /// Links that returned an error.
    pub rejected: u64,
    /// Inputs on which a link panicked or produced a broken module.
    pub broken: u64,
}

/// Checks the inputs of seeds `first..first + count` on `threads`
/// threads, or until `keep_going` says stop; every broken input is passed
/// to `on_broken` with its seed.
pub fn run(
    first: u64,
    count: u64,
    threads: usize,
    keep_going: &(dyn Fn() -> bool + Sync),
    on_broken: &(dyn Fn(&Input, &str) + Sync),
) -> Totals {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    let next = AtomicU64::new(0);
    let totals = Mutex::new(Totals::default());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let worker = || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || !keep_going() {
                    break;
                }
                let input = input(first.wrapping_add(i));
                let outcome = check(&input);
                let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                t.inputs += 1;
                match outcome {
                    Outcome::Clean { linked, rejected } => {
                        t.linked += linked as u64;
                        t.rejected += rejected as u64;
                    }
                    Outcome::Broken(message) => {
                        t.broken += 1;
                        drop(t);
                        on_broken(&input, &message);
                    }
                }
            };
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn_scoped(scope, worker)
                .unwrap_or_else(|e| panic!("cannot start a worker thread: {e}"));
        }
    });
    totals.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Writes a broken input under `dir` (`bytes-SEED.wasm` and a note), for
/// replay with `fuzz-link --bytes --seed SEED --cases 1`.
pub fn dump(
    input: &Input,
    message: &str,
    dir: &std::path::Path,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("bytes-{}.wasm", input.seed));
    std::fs::write(&path, &input.bytes)?;
    let mut note = String::new();
    let _ = writeln!(
        note,
        "seed {}\n{}\nreplay: cargo run -p spec-tests --release --bin fuzz-link -- --bytes --seed {} --cases 1\n\n{message}",
        input.seed, input.description, input.seed
    );
    std::fs::write(dir.join(format!("bytes-{}.txt", input.seed)), note)?;
    Ok(path)
}
