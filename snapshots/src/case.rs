//! A case: inputs of one link, read from a directory, and the two ways of
//! running them.
//!
//! ## Layout of a case directory
//!
//! ```text
//! <case>/
//!   app.wat              the application (or app.hex, see below)
//!   builtin-<name>.wat   one per builtin, registered as `<name>`
//!   builtins.txt         optional: builtin names, one per line, in the
//!                        order they are given to the linker; without it,
//!                        every builtin-* file in name order
//!   virtualize-<name>.wat  one per virtualizer of host module `<name>`
//!   virtualizers.txt     optional: `NAME=STEM` lines, one per virtualizer
//!                        in the order given to the linker (for one NAME,
//!                        the layer closest to the host first), each read
//!                        from `STEM.wat` or `STEM.hex`; without it, every
//!                        virtualize-* file in name order
//!   script.txt           what to run (see `crate::script`); differential
//!                        cases only
//!   known-bug.txt        optional: the case exposes a linker bug described
//!                        here; the suite expects it to fail and fails when
//!                        it starts passing, so the marker cannot go stale
//!   runtime-unsupported.txt  optional: why the reference runtime cannot
//!                        run the linked module (a feature it lacks); the
//!                        runtime suite fails when the case runs and agrees
//!   component-unsupported.txt  optional: why the linked module cannot run
//!                        as a component (`crate::component`): what the
//!                        wrapper or the component model cannot carry; the
//!                        component suite fails when the case runs and agrees
//! ```
//!
//! Text inputs are handed to the linker (and to wasmtime) as text, so the
//! linker's own text detection is exercised. An input may instead be given
//! as `.hex` — whitespace-separated hex bytes, `#` comments — which is how
//! malformed binaries (truncated sections, bad magic) are written down
//! without committing a binary file.
//!
//! ## The two runs
//!
//! *Unlinked*: every module is compiled on its own; builtins and
//! virtualizers are instantiated dependencies first, otherwise in the given
//! order (computed here from the modules' imports, independently of the
//! linker), each import bound to the instance that provides it
//! (`crate::separate`), and the app last. *Linked*: the linker's single output module. Both use a fresh store
//! and the same host (`crate::host`), and both are recorded the same way
//! (`crate::transcript`).

use crate::host;
use crate::script::Script;
use crate::separate::{self, Provider};
use crate::transcript::{self, Transcript};
use std::fs;
use std::path::{Path, PathBuf};
use wasm_prelink::{InlineMode, LinkError, Linked, Linker, Report};
use wasmtime::{Instance, Module, Store};

/// One input module, as read from disk.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where it came from.
    pub path: PathBuf,
    /// Text or binary bytes.
    pub bytes: Vec<u8>,
}

/// A case directory, loaded.
#[derive(Debug, Clone)]
pub struct Case {
    /// The directory name.
    pub name: String,
    /// The application.
    pub app: Input,
    /// The builtins with their names, in the order given to the linker.
    pub builtins: Vec<(String, Input)>,
    /// The virtualizers with the host module they virtualize, in the order
    /// given to the linker.
    pub virtualizers: Vec<(String, Input)>,
    /// The script, when the case has one.
    pub script: Option<Script>,
    /// The linker bug this case is known to expose, if any.
    pub known_bug: Option<String>,
    /// Why the reference runtime cannot run this case, if it cannot.
    pub runtime_unsupported: Option<String>,
    /// Why the linked module cannot run as a component, if it cannot.
    pub component_unsupported: Option<String>,
}

impl Case {
    /// Reads a case directory; errors name the file.
    pub fn load(dir: &Path) -> Result<Case, String> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: not a case directory", dir.display()))?
            .to_string();
        let app = read_input(dir, "app")?;
        let builtin_names = match read_optional(&dir.join("builtins.txt"))? {
            Some(list) => list
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            None => discover_builtins(dir)?,
        };
        let builtins = builtin_names
            .into_iter()
            .map(|name| {
                let input = read_input(dir, &format!("builtin-{name}"))?;
                Ok((name, input))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let virtualizers = load_virtualizers(dir)?;
        let script = match read_optional(&dir.join("script.txt"))? {
            Some(text) => Some(
                Script::parse(&text)
                    .map_err(|e| format!("{}: {e}", dir.join("script.txt").display()))?,
            ),
            None => None,
        };
        let known_bug = read_optional(&dir.join("known-bug.txt"))?;
        let runtime_unsupported = read_optional(&dir.join("runtime-unsupported.txt"))?;
        let component_unsupported = read_optional(&dir.join("component-unsupported.txt"))?;
        Ok(Case {
            name,
            app,
            builtins,
            virtualizers,
            script,
            known_bug,
            runtime_unsupported,
            component_unsupported,
        })
    }

    /// Links the case with the default intrinsics namespace.
    pub fn link(&self, mode: InlineMode) -> Result<Linked, LinkError> {
        self.link_with_descriptor(mode, 0)
    }

    /// Links the case for a host that vouches for a store-data descriptor
    /// of `bytes` bytes (`Linker::store_data_descriptor`).
    pub fn link_with_descriptor(&self, mode: InlineMode, bytes: u32) -> Result<Linked, LinkError> {
        let mut linker = Linker::new().inline(mode).store_data_descriptor(bytes);
        for (name, input) in &self.builtins {
            linker = linker.builtin(name, &input.bytes)?;
        }
        for (name, input) in &self.virtualizers {
            linker = linker.virtualize(name, &input.bytes)?;
        }
        linker.link(&self.app.bytes)
    }

    /// The script, or an empty one for cases without.
    pub fn script(&self) -> Script {
        self.script.clone().unwrap_or_else(|| Script {
            buffer_size: crate::script::DEFAULT_BUFFER_SIZE,
            steps: Vec::new(),
        })
    }

    /// Runs the modules separately, as an engine would without the linker.
    pub fn run_unlinked(&self) -> Transcript {
        let script = self.script();
        let mut store = host::store(script.initial_buffer());
        let (linker, items) = match host::linker(&mut store, wasm_prelink::DEFAULT_NAMESPACE) {
            Ok(host) => host,
            Err(e) => panic!("the test host cannot be set up: {e:#}"),
        };
        let instance = (|| -> wasmtime::Result<Instance> {
            let engine = host::engine();
            let mut providers = Vec::new();
            let inputs = self.builtins.iter().map(|b| (b, false));
            let inputs = inputs.chain(self.virtualizers.iter().map(|v| (v, true)));
            for ((name, input), virtualizer) in inputs {
                providers.push(Provider {
                    name,
                    module: Module::new(engine, &input.bytes)?,
                    virtualizer,
                });
            }
            let app = Module::new(engine, &self.app.bytes)?;
            separate::instantiate(&mut store, &linker, &providers, &app)
        })();
        transcript::record(store, items, instance, &script)
    }

    /// Runs a linked module with the same host.
    pub fn run_linked(&self, wasm: &[u8]) -> Transcript {
        let script = self.script();
        let mut store: Store<host::HostState> = host::store(script.initial_buffer());
        let (linker, items) = match host::linker(&mut store, wasm_prelink::DEFAULT_NAMESPACE) {
            Ok(host) => host,
            Err(e) => panic!("the test host cannot be set up: {e:#}"),
        };
        let instance = Module::new(host::engine(), wasm)
            .and_then(|module| linker.instantiate(&mut store, &module));
        transcript::record(store, items, instance, &script)
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `<stem>.wat` as is, or `<stem>.hex` decoded.
fn read_input(dir: &Path, stem: &str) -> Result<Input, String> {
    let wat = dir.join(format!("{stem}.wat"));
    if let Some(text) = read_optional(&wat)? {
        return Ok(Input {
            path: wat,
            bytes: text.into_bytes(),
        });
    }
    let hex = dir.join(format!("{stem}.hex"));
    match read_optional(&hex)? {
        Some(text) => Ok(Input {
            bytes: decode_hex(&text).map_err(|e| format!("{}: {e}", hex.display()))?,
            path: hex,
        }),
        None => Err(format!(
            "{}: neither {stem}.wat nor {stem}.hex exists",
            dir.display()
        )),
    }
}

/// Whitespace-separated hex bytes; `#` starts a comment.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    text.lines()
        .flat_map(|line| line.split('#').next().unwrap_or("").split_whitespace())
        .map(|byte| u8::from_str_radix(byte, 16).map_err(|_| format!("`{byte}` is not a hex byte")))
        .collect()
}

/// The virtualizers of a case: `virtualizers.txt` when present, otherwise
/// one per `virtualize-<name>` file, in name order.
fn load_virtualizers(dir: &Path) -> Result<Vec<(String, Input)>, String> {
    let list = dir.join("virtualizers.txt");
    let Some(text) = read_optional(&list)? else {
        return discover(dir, "virtualize-")?
            .into_iter()
            .map(|name| {
                let input = read_input(dir, &format!("virtualize-{name}"))?;
                Ok((name, input))
            })
            .collect();
    };
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, stem) = line
                .split_once('=')
                .ok_or_else(|| format!("{}: `{line}` is not NAME=STEM", list.display()))?;
            Ok((name.trim().to_string(), read_input(dir, stem.trim())?))
        })
        .collect()
}

/// Names of the `builtin-<name>.wat`/`.hex` files in `dir`, sorted.
fn discover_builtins(dir: &Path) -> Result<Vec<String>, String> {
    discover(dir, "builtin-")
}

/// Names of the `<prefix><name>.wat`/`.hex` files in `dir`, sorted.
fn discover(dir: &Path, prefix: &str) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(prefix) else {
            continue;
        };
        if let Some(name) = rest
            .strip_suffix(".wat")
            .or_else(|| rest.strip_suffix(".hex"))
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// What a differential check found wrong, for one inline mode.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The inline mode.
    pub mode: InlineMode,
    /// What went wrong.
    pub problem: String,
}

/// The outcome of checking one case in one inline mode.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The merged module in text form.
    pub wat: String,
    /// The deterministic part of the link report (how imports were
    /// satisfied, whether a start function was synthesized) and every
    /// warning, as `;;` comment lines to put above the module text.
    pub report: String,
    /// The linked run's transcript.
    pub transcript: Transcript,
}

/// Links `case` in `mode` twice (the outputs must be byte-identical), runs
/// the output and compares it with `unlinked`.
pub fn check(case: &Case, mode: InlineMode, unlinked: &Transcript) -> Result<Checked, Mismatch> {
    let fail = |problem: String| Mismatch { mode, problem };
    let first = case
        .link(mode)
        .map_err(|e| fail(format!("link failed: {e}")))?;
    let second = case
        .link(mode)
        .map_err(|e| fail(format!("second link failed: {e}")))?;
    if first.wasm != second.wasm {
        return Err(fail("two links of the same inputs differ".into()));
    }
    wasmparser_validate(&first.wasm).map_err(|e| fail(format!("output does not validate: {e}")))?;
    let wat = wasmprinter::print_bytes(&first.wasm)
        .map_err(|e| fail(format!("output cannot be printed: {e}")))?;
    let transcript = case.run_linked(&first.wasm);
    if transcript != *unlinked {
        return Err(fail(format!(
            "linked and unlinked runs differ:\n{}",
            transcript::diff(unlinked, &transcript)
        )));
    }
    Ok(Checked {
        wat,
        report: report_text(&first.report),
        transcript,
    })
}

/// The parts of a [`Report`] that do not vary between runs, as comments.
pub fn report_text(report: &Report) -> String {
    let mut text = format!(
        ";; imports: {} resolved, {} forwarded, {} shared, {} intrinsics kept; start synthesized: {}\n",
        report.imports_resolved,
        report.imports_forwarded,
        report.imports_shared,
        report.intrinsics_kept,
        if report.start_synthesized { "yes" } else { "no" },
    );
    for warning in &report.warnings {
        text.push_str(&format!(";; warning: {warning}\n"));
    }
    text
}

/// Validates with wasmtime's own validator settings: what the engine would
/// accept is what matters here.
fn wasmparser_validate(wasm: &[u8]) -> wasmtime::Result<()> {
    Module::validate(host::engine(), wasm)
}
