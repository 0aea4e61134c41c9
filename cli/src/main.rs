//! The `wasm-prelink` command: a thin layer over the library.
//!
//! Everything a user can get wrong ends in one message on stderr naming the
//! input and the item, exit status 1, and no partial or destroyed output
//! file (`output.rs` says how files, links, devices and standard output
//! are written).

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use wasm_prelink::error::printable;
use wasm_prelink::{InlineMode, Linker};

mod inputs;
mod output;
mod run;

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
    /// Link, then run an export on the reference runtime.
    Run(run::RunArgs),
}

#[derive(Args)]
struct LinkArgs {
    /// The application module (binary or text; `-` reads stdin).
    app: PathBuf,
    /// A builtin module satisfying imports from module NAME (repeatable).
    #[arg(long = "builtin", value_name = "NAME=FILE")]
    builtins: Vec<String>,
    /// Where to write the result (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// How much to inline across the former import boundary.
    #[arg(long, value_name = "none|auto|all", default_value = "auto")]
    inline: InlineMode,
    /// Module name the builtins import intrinsics from.
    #[arg(long, value_name = "NAMESPACE", default_value = wasm_prelink::DEFAULT_NAMESPACE)]
    intrinsics: String,
    /// Write the text format instead of binary.
    #[arg(long)]
    wat: bool,
    /// Print a report of what the link did on stderr.
    #[arg(long)]
    stats: bool,
}

fn main() {
    let cli = Cli::parse();
    output::ignore_file_size_signal();
    let result = match cli.command {
        Command::Link(args) => link(args),
        Command::Run(args) => run::run(args),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn link(args: LinkArgs) -> Result<()> {
    let builtins = inputs::parse_builtins(&args.builtins)?;
    inputs::check_stdin_once(&args.app, "the app", &builtins)?;
    let destination = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    if let Some(destination) = destination {
        let mut named: Vec<(&Path, String)> = vec![(args.app.as_path(), "the app".into())];
        named.extend(builtins.iter().map(|b| {
            (
                b.file.as_path(),
                format!("builtin `{}`", printable(&b.name)),
            )
        }));
        output::refuse_overwriting_inputs(destination, &named)?;
    }
    let linker = Linker::new()
        .inline(args.inline)
        .intrinsics_namespace(&args.intrinsics);
    let linker = inputs::add_builtins(linker, &builtins)?;
    let app = inputs::read_input(&args.app).context("cannot read the app")?;
    // Named in the message about a misspelled builtin; read before the app's
    // bytes are handed over.
    let app_imports = if builtins.is_empty() {
        String::new()
    } else {
        import_modules(&app)
    };
    let linked = match linker.link_owned(app) {
        Ok(linked) => linked,
        Err(error) => {
            let context = inputs::link_failure(&error, &args.app, &builtins);
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
    for warning in &linked.report.warnings {
        eprintln!("warning: {warning}");
    }
    let output = if args.wat {
        let mut text =
            wasmprinter::print_bytes(&linked.wasm).context("cannot print the linked module")?;
        text.push('\n');
        text.into_bytes()
    } else {
        linked.wasm
    };
    match destination {
        Some(path) => output::write_file(path, &output)?,
        None => {
            if !args.wat && std::io::stdout().is_terminal() {
                bail!("refusing to write a binary module to a terminal; use `-o FILE` or `--wat`");
            }
            output::write_stdout(&output)?;
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
