//! The `wasm-prelink` command: a thin layer over the library.
//!
//! Everything a user can get wrong ends in one message on stderr naming the
//! input and the item, exit status 1, and no partial or destroyed output
//! file (`output.rs` says how files, links, devices and standard output
//! are written).

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use wasm_prelink::error::printable;
use wasm_prelink::{InlineMode, Linker};

mod component;
mod inputs;
mod output;
mod run;
mod trusted;
mod virtualize;
mod wasmtime_engine;

#[derive(Parser)]
#[command(
    name = "wasm-prelink",
    version,
    about = "Link trusted builtin Wasm modules into an application module"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Merge builtins into an app module.
    Link(LinkArgs),
    /// Link, then run an export on the reference runtime or Wasmtime.
    Run(run::RunArgs),
}

#[derive(Args)]
struct LinkArgs {
    /// The application module (binary or text; `-` reads stdin).
    app: PathBuf,
    /// A builtin module satisfying imports from module NAME (repeatable).
    #[arg(long = "builtin", value_name = "NAME=FILE")]
    builtins: Vec<String>,
    /// A module implementing part of host module NAME and wrapping the rest
    /// (repeatable; several for one NAME stack, later wrapping earlier).
    #[arg(long = "virtualize", value_name = "NAME=FILE")]
    virtualizers: Vec<String>,
    /// Where to write the result (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// How much to inline across the former import boundary.
    #[arg(long, value_name = "none|auto|all", default_value = "auto")]
    inline: InlineMode,
    /// Module name the builtins import intrinsics from.
    #[arg(long, value_name = "NAMESPACE", default_value = wasm_prelink::DEFAULT_NAMESPACE)]
    intrinsics: String,
    /// What to write: the linked core module, or that module wrapped as a
    /// component whose intrinsics Wasmtime (48 or later) compiles natively.
    #[arg(long, value_name = "module|component", default_value = "module")]
    emit: Emit,
    /// Promise that the first BYTES bytes of the store data stay put while
    /// a function runs, and load them once per function (for engines that
    /// cannot know it, such as Wasmtime; see `docs/usage.md`).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    store_data_descriptor: u32,
    /// Write the text format instead of binary.
    #[arg(long)]
    wat: bool,
    /// Print a report of what the link did on stderr.
    #[arg(long)]
    stats: bool,
    /// Drop all debug information (DWARF, source-map URLs) instead of
    /// rewriting it for the linked code.
    #[arg(long)]
    strip_debug: bool,
    /// The app's source map, rewritten into --output-source-map.
    #[arg(
        long,
        value_name = "FILE",
        requires = "output_source_map",
        conflicts_with = "strip_debug"
    )]
    input_source_map: Option<PathBuf>,
    /// Where to write the source map of the linked module.
    #[arg(long, value_name = "FILE", requires = "input_source_map")]
    output_source_map: Option<PathBuf>,
    /// The URL the output's `sourceMappingURL` section gives (default: the
    /// file name of --output-source-map, found next to the module).
    #[arg(long, value_name = "URL", requires = "output_source_map")]
    source_map_url: Option<String>,
}

/// The kind of output `link` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Emit {
    /// The linked core module.
    Module,
    /// The linked module wrapped as a component (`wasm_prelink::component`).
    Component,
}

fn main() {
    let cli = Cli::parse();
    output::ignore_file_size_signal();
    let result = match cli.command {
        Command::Link(args) => link(args),
        Command::Run(args) => run::run(args),
    };
    if let Err(error) = result {
        // A program's own exit status (WASI `proc_exit`) is passed on as
        // it is, without a message.
        if let Some(status) = error.downcast_ref::<wasmtime_engine::ExitStatus>() {
            std::process::exit(status.0);
        }
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn link(args: LinkArgs) -> Result<()> {
    let builtins = inputs::parse_builtins(&args.builtins)?;
    let virtualizers = inputs::parse_virtualizers(&args.virtualizers)?;
    let extra: Vec<&inputs::BuiltinArg> = builtins.iter().chain(&virtualizers).collect();
    inputs::check_stdin_once(&args.app, "the app", &extra)?;
    let destination = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let mut named: Vec<(&Path, String)> = vec![(args.app.as_path(), "the app".into())];
    named.extend(extra.iter().map(|b| (b.file.as_path(), b.library_name())));
    if let Some(map) = &args.input_source_map {
        named.push((map.as_path(), "the input source map".into()));
    }
    if let Some(destination) = destination {
        output::refuse_overwriting_inputs(destination, &named)?;
    }
    let mut linker = Linker::new()
        .inline(args.inline)
        .intrinsics_namespace(&args.intrinsics)
        .store_data_descriptor(args.store_data_descriptor)
        .strip_debug(args.strip_debug);
    if let Some(map_out) = &args.output_source_map {
        linker = source_maps(linker, &args, map_out, destination, &named)?;
    }
    let linker = inputs::add_builtins(linker, &extra)?;
    let app = inputs::read_input(&args.app).context("cannot read the app")?;
    // Named in the message about a misspelled builtin; read before the app's
    // bytes are handed over.
    let app_imports = if builtins.is_empty() && virtualizers.is_empty() {
        String::new()
    } else {
        import_modules(&app)
    };
    let linked = match linker.link_owned(app) {
        Ok(linked) => linked,
        Err(error) => {
            let context = inputs::link_failure(&error, &args.app, &extra);
            return Err(anyhow::Error::new(error).context(context));
        }
    };
    if let Some(unused) = linked.report.unused_builtins.first() {
        let file = builtins
            .iter()
            .find(|b| &b.name == unused)
            .map(|b| format!(" (from `{}`)", printable(&b.file.display().to_string())))
            .unwrap_or_default();
        bail!(
            "builtin `{}`{file} is not imported by the app or by another builtin; check the name (the app imports from {})",
            printable(unused),
            app_imports
        );
    }
    virtualize::check_used(&linked.report, &app_imports)?;
    for warning in &linked.report.warnings {
        eprintln!("warning: {warning}");
    }
    let wasm = match args.emit {
        Emit::Module => linked.wasm,
        Emit::Component => component::emit(&linked.wasm, &args.intrinsics, &args.app)?,
    };
    let output = if args.wat {
        let mut text = wasmprinter::print_bytes(&wasm).context("cannot print the output")?;
        text.push('\n');
        text.into_bytes()
    } else {
        wasm
    };
    // The map and the module are written together or not at all: both are
    // prepared before either is put in place.
    let map = match (&args.output_source_map, &linked.source_map) {
        (Some(path), Some(map)) => Some(output::stage(path, map)?),
        _ => None,
    };
    match destination {
        Some(path) => output::stage(path, &output)?.commit()?,
        None => {
            if !args.wat && std::io::stdout().is_terminal() {
                bail!("refusing to write a binary module to a terminal; use `-o FILE` or `--wat`");
            }
            output::write_stdout(&output)?;
        }
    }
    if let Some(map) = map {
        map.commit()?;
    }
    if args.stats {
        print_stats(&linked.report);
    }
    Ok(())
}

/// Reads the app's source map and checks where the output's goes: not over
/// an input or the module, and only beside a core module, whose offsets
/// its columns are.
fn source_maps(
    linker: Linker,
    args: &LinkArgs,
    map_out: &Path,
    destination: Option<&Path>,
    inputs: &[(&Path, String)],
) -> Result<Linker> {
    if args.emit == Emit::Component {
        bail!(
            "--output-source-map needs --emit module: a source map's columns are byte offsets of a core module, and a component has none of its own"
        );
    }
    if args.wat {
        bail!("--output-source-map needs binary output: a source map's columns are byte offsets of the binary module, which --wat does not write");
    }
    let mut named = inputs.to_vec();
    if let Some(destination) = destination {
        if output::same_file(map_out, destination) {
            bail!(
                "--output-source-map `{}` is also the output module",
                printable(&map_out.display().to_string())
            );
        }
        named.push((destination, "the output module".into()));
    }
    output::refuse_overwriting(map_out, "--output-source-map", &named)?;
    let input = args
        .input_source_map
        .as_deref()
        .expect("clap requires --input-source-map");
    let json = inputs::read_input(input).context("cannot read the input source map")?;
    let url = match &args.source_map_url {
        Some(url) => url.clone(),
        None => map_out
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .with_context(|| {
                format!(
                    "--output-source-map `{}` names no file; give --source-map-url",
                    printable(&map_out.display().to_string())
                )
            })?,
    };
    Ok(linker.input_source_map(json).source_map_url(url))
}

fn print_stats(report: &wasm_prelink::Report) {
    let m = &report.merged;
    eprintln!(
        "imports:  {} resolved, {} forwarded to the host ({} shared), {} intrinsics kept",
        report.imports_resolved,
        report.imports_forwarded,
        report.imports_shared,
        report.intrinsics_kept
    );
    eprintln!(
        "merged:   {} functions, {} tables, {} memories, {} globals, {} tags, {} elem and {} data segments; {} types deduplicated",
        m.funcs, m.tables, m.memories, m.globals, m.tags, m.elems, m.data, report.types_deduplicated
    );
    if report.start_synthesized {
        eprintln!("start:    synthesized to keep separate-instantiation order");
    }
    eprintln!(
        "size:     {} bytes in, {} bytes out",
        report.bytes_in, report.bytes_out
    );
    let inlined = &report.inlining;
    if inlined.bytes_before != inlined.bytes_after || inlined.calls_inlined > 0 {
        eprintln!(
            "inlined:  {} calls; removed {} builtin functions, {} intrinsic imports and {} other builtin items; {} bytes before, {} after",
            inlined.calls_inlined,
            inlined.functions_removed,
            inlined.intrinsics_removed,
            inlined.items_removed,
            inlined.bytes_before,
            inlined.bytes_after
        );
    }
    let hoisted = &report.descriptor;
    if hoisted.loads_hoisted > 0 {
        eprintln!(
            "descriptor: {} loads in {} functions read once at entry",
            hoisted.loads_hoisted, hoisted.functions
        );
    }
    let phases: Vec<String> = report
        .phases
        .iter()
        .map(|(name, time)| format!("{name} {:.1}", time.as_secs_f64() * 1e3))
        .collect();
    eprintln!(
        "time:     {:.1} ms ({})",
        report.elapsed.as_secs_f64() * 1e3,
        phases.join(", ")
    );
}

/// The module names the app imports from, for messages.
fn import_modules(app: &[u8]) -> String {
    let mut names = std::collections::BTreeSet::new();
    if let Ok(binary) = wat::parse_bytes(app) {
        for payload in wasmparser::Parser::new(0).parse_all(&binary) {
            if let Ok(wasmparser::Payload::ImportSection(reader)) = payload {
                for import in reader.into_imports().flatten() {
                    names.insert(format!("`{}`", printable(import.module)));
                }
            }
        }
    }
    if names.is_empty() {
        "nothing".to_string()
    } else {
        names.into_iter().collect::<Vec<_>>().join(", ")
    }
}
