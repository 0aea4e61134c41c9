//! The `wasm-prelink` command: a thin layer over the library.
//!
//! Everything a user can get wrong ends in one message on stderr naming the
//! input and the item, exit status 1, and no output file: output goes to a
//! temporary file in the destination's directory that is renamed into place
//! only once the link succeeded.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use wasm_prelink::{InlineMode, Linker};

mod component;
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
    /// Write the text format instead of binary.
    #[arg(long)]
    wat: bool,
    /// Print a report of what the link did on stderr.
    #[arg(long)]
    stats: bool,
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
    let mut linker = Linker::new()
        .inline(args.inline)
        .intrinsics_namespace(&args.intrinsics);
    for spec in &args.builtins {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("`--builtin {spec}` must be NAME=FILE");
        };
        if name.is_empty() {
            bail!("`--builtin {spec}` has an empty builtin name");
        }
        let bytes =
            read_input(Path::new(file)).with_context(|| format!("cannot read builtin `{name}`"))?;
        linker = linker
            .builtin(name, bytes)
            .with_context(|| format!("in `{file}`"))?;
    }
    let linker = virtualize::add(linker, &args.virtualizers)?;
    let app = read_input(&args.app).context("cannot read the app")?;
    // Named in the message about a misspelled builtin; read before the app's
    // bytes are handed over.
    let app_imports = if args.builtins.is_empty() && args.virtualizers.is_empty() {
        String::new()
    } else {
        import_modules(&app)
    };
    let linked = linker
        .link_owned(app)
        .with_context(|| format!("cannot link `{}`", args.app.display()))?;
    if let Some(unused) = linked.report.unused_builtins.first() {
        bail!(
            "builtin `{unused}` is not imported by the app or by another builtin; check the name (the app imports from {})",
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
    match &args.output {
        Some(path) if path.as_os_str() != "-" => write_atomically(path, &output)?,
        _ => {
            let mut stdout = std::io::stdout().lock();
            if !args.wat && stdout.is_terminal() {
                bail!("refusing to write a binary module to a terminal; use `-o FILE` or `--wat`");
            }
            stdout
                .write_all(&output)
                .context("cannot write to stdout")?;
            stdout.flush().context("cannot write to stdout")?;
        }
    }
    if args.stats {
        print_stats(&linked.report);
    }
    Ok(())
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
                    names.insert(format!("`{}`", import.module));
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

fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Writes `bytes` to `path` so that `path` either keeps its old contents or
/// holds all of the new ones: never a partial module.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let temporary = dir.join(format!(
        ".{}.{}.pending",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written =
        std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}
