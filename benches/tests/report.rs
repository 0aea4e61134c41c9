//! The report's arithmetic: medians, grouping, ratios and the list of
//! losses, on made-up measurements (no timing happens here).

use benches::report::{self, Estimate, Inputs, Tool};
use std::collections::BTreeMap;

const SAMPLES: &str = "\
# module,bytes,tool,run,seconds,max_rss_kib
m,2000000,prelink-link,1,1.0,1000
m,2000000,prelink-link,2,3.0,3000
m,2000000,prelink-link,3,2.0,2000
m,2000000,prelink-link-inline,1,4.0,3000
m,2000000,wasm-merge,1,2.0,1000
m,2000000,wasm-opt-inlining,1,1.0,2000
";

#[test]
fn medians_of_odd_and_even_counts() {
    assert_eq!(report::median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(report::median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(report::median(&[]), None);
}

#[test]
fn samples_are_grouped_by_module_and_tool() {
    let samples = report::parse_samples(SAMPLES).unwrap();
    let summary = report::summarize(&samples);
    let tools = &summary[&(2_000_000, "m".to_string())];
    assert_eq!(tools[&Tool::PrelinkLink].seconds, 2.0);
    assert_eq!(tools[&Tool::PrelinkLink].runs, 3);
    assert!((tools[&Tool::PrelinkLink].peak_mb - 2.048).abs() < 1e-9);
}

#[test]
fn bad_sample_lines_are_reported_with_their_line() {
    let err = report::parse_samples("m,1,prelink-link,1,fast,2").unwrap_err();
    assert_eq!(
        err.to_string(),
        "sample line 1: bad time in `m,1,prelink-link,1,fast,2`"
    );
    let err = report::parse_samples("m,1,cp,1,1,2").unwrap_err();
    assert!(err.to_string().contains("bad tool"), "{err}");
}

#[test]
fn the_report_lists_our_losses_and_ratios_to_the_anchor() {
    let samples = report::parse_samples(SAMPLES).unwrap();
    let throughput = report::summarize(&samples);
    let mut end_to_end = BTreeMap::new();
    for (variant, ns) in [
        ("wasmtime-builtins", 300_000.0),
        ("prelink-inlined", 60_000.0),
    ] {
        end_to_end.insert(
            ("in-order".to_string(), variant.to_string()),
            Estimate {
                median_ns: ns,
                lower_ns: ns,
                upper_ns: ns,
                bytes: 100_000,
            },
        );
    }
    // The C program: ours 3 ns/byte on CRC-32 against wasmtime's 2 is a
    // loss; native's 1 is the floor and is not.
    let mut c_program = BTreeMap::new();
    for (variant, ns) in [
        ("native", 1_000_000.0),
        ("prelink-c", 3_000_000.0),
        ("wasmtime-host", 2_000_000.0),
    ] {
        c_program.insert(
            ("crc32".to_string(), variant.to_string()),
            Estimate {
                median_ns: ns,
                lower_ns: ns,
                upper_ns: ns,
                bytes: 1_000_000,
            },
        );
    }
    let meta = report::parse_meta("cpu=Test CPU\ncommand=run it\ncommand=then this");
    let inputs = Inputs {
        end_to_end: &end_to_end,
        c_program: &c_program,
        throughput: &throughput,
        meta: &meta,
        analysis: "Hand-written.",
        chart_path: "docs/benchmarks.svg",
    };
    let md = report::markdown(&inputs);
    assert!(md.contains("| 0.600 | 0.20× |"), "{md}");
    assert!(md.contains("| CPU | Test CPU |"), "{md}");
    assert!(md.contains("run it\nthen this\n"), "{md}");
    assert!(
        md.contains(
            "| `crc32` | 1.000 | 1.00× | n/a | n/a | 3.000 | 3.00× | n/a | n/a | 2.000 | 2.00× |"
        ),
        "{md}"
    );
    // Linking: ours 2 s vs wasm-merge 2 s (a tie, not a loss); with
    // inlining ours 4 s vs 3 s: a loss, and our peak memory is higher.
    let losses = report::losses(&inputs);
    assert_eq!(
        losses,
        [
            "C program, `crc32`: `prelink-c` takes 3.000 ns/byte, 1.50× `wasmtime-host`'s 2.000.",
            "m, link: peak memory 2 MB against Binaryen's 1 MB.",
            "m, link + inline: 4.00 s against Binaryen's 3.00 s.",
            "m, link + inline: peak memory 3 MB against Binaryen's 2 MB.",
        ]
    );
}

#[test]
fn the_chart_is_an_svg() {
    let samples = report::parse_samples(SAMPLES).unwrap();
    let throughput = report::summarize(&samples);
    let end_to_end = BTreeMap::new();
    let c_program = BTreeMap::new();
    let inputs = Inputs {
        end_to_end: &end_to_end,
        c_program: &c_program,
        throughput: &throughput,
        meta: &[],
        analysis: "",
        chart_path: "chart.svg",
    };
    let path = std::env::temp_dir().join(format!("benches-chart-{}.svg", std::process::id()));
    report::svg(&inputs, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("wasm-merge"),
        "{svg}"
    );
}
