//! `--input-source-map`, `--output-source-map` and `--source-map-url`
//! (`linker/src/debug/sourcemap.rs`, docs/debug.md).
//!
//! The app is the host-buf example in binary form with a source map giving
//! each of its instructions its own line of `app.src`. After a link, every
//! output instruction the link traced to the app (the library's code map
//! for the same link) must map, by the output's source map, to the line of
//! that app instruction; and every flag's bad uses fail with a message,
//! exit 1 where the command (not the argument parser) refuses, and no file
//! written.

mod support;

use std::path::Path;
use support::{
    assert_fails, assert_no_leftovers, example, instruction_offsets, prelink, scratch, stderr,
};
use wasm_prelink::{InlineMode, Linker};
use wasmparser::{Parser, Payload};

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `value` as a base64 VLQ.
fn vlq(value: i64, out: &mut String) {
    let mut bits = if value < 0 {
        ((-value) << 1) | 1
    } else {
        value << 1
    };
    loop {
        let mut digit = (bits & 31) as usize;
        bits >>= 5;
        if bits > 0 {
            digit |= 32;
        }
        out.push(BASE64[digit] as char);
        if bits == 0 {
            break;
        }
    }
}

/// Decodes `mappings` into (generated column, source line) pairs; a
/// one-field segment gives `None`.
fn decode(mappings: &str) -> Vec<(u64, Option<i64>)> {
    let mut out = Vec::new();
    let (mut column, mut line) = (0i64, 0i64);
    for segment in mappings.split(',').filter(|s| !s.is_empty()) {
        let mut fields = Vec::new();
        let (mut value, mut shift) = (0i64, 0);
        for c in segment.bytes() {
            let digit = BASE64.iter().position(|&b| b == c).expect("base64") as i64;
            value |= (digit & 31) << shift;
            shift += 5;
            if digit & 32 == 0 {
                let negative = value & 1 == 1;
                value >>= 1;
                fields.push(if negative { -value } else { value });
                value = 0;
                shift = 0;
            }
        }
        column += fields[0];
        if fields.len() >= 4 {
            line += fields[2];
            out.push((column as u64, Some(line)));
        } else {
            out.push((column as u64, None));
        }
    }
    out
}

/// The app in binary form and its source map: instruction `i` (in file
/// order) is line `i` of `app.src`.
fn app_with_map(dir: &Path) -> (Vec<u8>, Vec<u64>) {
    let text = std::fs::read_to_string(example("app.wat")).expect("example");
    let app = wat::parse_str(&text).expect("the example parses");
    let (_, starts) = instruction_offsets(&app);
    let mut mappings = String::new();
    let mut previous = 0i64;
    for (line, &at) in starts.iter().enumerate() {
        if line > 0 {
            mappings.push(',');
        }
        vlq(at as i64 - previous, &mut mappings);
        previous = at as i64;
        vlq(0, &mut mappings); // source 0
        vlq(if line == 0 { 0 } else { 1 }, &mut mappings); // next line
        vlq(0, &mut mappings); // column 0
    }
    let map =
        format!(r#"{{"version":3,"sources":["app.src"],"names":[],"mappings":"{mappings}"}}"#);
    std::fs::write(dir.join("app.wasm"), &app).expect("write app");
    std::fs::write(dir.join("app.wasm.map"), map).expect("write map");
    (app, starts)
}

fn builtin_arg() -> String {
    format!("host-buf={}", example("builtin.wat"))
}

/// The `sourceMappingURL` a module names, if any.
fn url_of(wasm: &[u8]) -> Option<String> {
    Parser::new(0).parse_all(wasm).find_map(|p| match p {
        Ok(Payload::CustomSection(c)) if c.name() == "sourceMappingURL" => {
            let mut reader = wasmparser::BinaryReader::new(c.data(), 0);
            Some(reader.read_string().expect("a string").to_string())
        }
        _ => None,
    })
}

#[test]
fn the_output_map_follows_the_code() {
    for inline in ["none", "auto", "all"] {
        let dir = scratch(&format!("map-{inline}"));
        let (app, starts) = app_with_map(&dir);
        let builtin = builtin_arg();
        let output = prelink(
            &[
                "link",
                "app.wasm",
                "--builtin",
                &builtin,
                "--inline",
                inline,
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "out.wasm.map",
                "-o",
                "out.wasm",
            ],
            &dir,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let wasm = std::fs::read(dir.join("out.wasm")).expect("output");
        assert_eq!(url_of(&wasm).as_deref(), Some("out.wasm.map"));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("out.wasm.map")).expect("map"))
                .expect("the output map is JSON");
        assert_eq!(json["version"], 3);
        assert_eq!(json["sources"], serde_json::json!(["app.src"]));
        let mappings = decode(json["mappings"].as_str().expect("mappings"));

        // The same link through the library, for its code map.
        let mode = match inline {
            "none" => InlineMode::None,
            "auto" => InlineMode::Auto,
            _ => InlineMode::All,
        };
        let builtin_text = std::fs::read(example("builtin.wat")).expect("builtin");
        let linked = Linker::new()
            .inline(mode)
            .builtin("host-buf", builtin_text)
            .expect("builtin")
            .input_source_map(std::fs::read(dir.join("app.wasm.map")).expect("map"))
            .link(&app)
            .expect("links");
        let written = std::fs::read(dir.join("out.wasm.map")).expect("map");
        assert_eq!(linked.source_map.as_deref(), Some(written.as_slice()));
        let map = linked.code_map.expect("a code map");
        let (app_base, _) = instruction_offsets(&app);
        let (out_base, out_starts) = instruction_offsets(&wasm);
        let mut checked = 0;
        for at in out_starts {
            let (origin, site) = map.lookup((at - out_base) as u32);
            let Some(origin) = origin.filter(|o| o.input == 1 && site.is_none()) else {
                continue;
            };
            let line = starts
                .iter()
                .position(|&s| s == app_base + u64::from(origin.offset))
                .expect("traced to an app instruction") as i64;
            let found = mappings
                .iter()
                .rev()
                .find(|(column, _)| *column <= at)
                .and_then(|(_, line)| *line);
            assert_eq!(found, Some(line), "{inline}: output instruction at {at:#x}");
            checked += 1;
        }
        assert!(
            checked >= 10,
            "{inline}: only {checked} instructions checked"
        );
    }
}

#[test]
fn the_url_can_be_given() {
    let dir = scratch("url");
    app_with_map(&dir);
    let builtin = builtin_arg();
    let args = [
        "link",
        "app.wasm",
        "--builtin",
        &builtin,
        "--input-source-map",
        "app.wasm.map",
        "--output-source-map",
        "maps/out.map",
        "--source-map-url",
        "https://example.com/out.map",
        "-o",
        "out.wasm",
    ];
    // The map's directory does not exist: nothing is written at all.
    let output = prelink(&args, &dir);
    assert_fails(&output, &dir, &["maps/out.map"]);
    std::fs::create_dir(dir.join("maps")).expect("mkdir");
    let output = prelink(&args, &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let wasm = std::fs::read(dir.join("out.wasm")).expect("output");
    assert_eq!(
        url_of(&wasm).as_deref(),
        Some("https://example.com/out.map")
    );
    assert!(dir.join("maps/out.map").exists());
}

/// Runs a link of the app with its map and `extra` arguments.
fn link_with(dir: &Path, extra: &[&str]) -> std::process::Output {
    let builtin = builtin_arg();
    let mut args = vec!["link", "app.wasm", "--builtin", &builtin, "-o", "out.wasm"];
    args.extend_from_slice(extra);
    prelink(&args, dir)
}

#[test]
fn bad_uses_are_refused_and_write_nothing() {
    let dir = scratch("bad");
    app_with_map(&dir);
    std::fs::write(dir.join("garbage.map"), b"\x00not json").expect("write");
    std::fs::write(
        dir.join("v5.map"),
        br#"{"version":5,"sources":[],"mappings":""}"#,
    )
    .expect("write");
    let app_before = std::fs::read(dir.join("app.wasm")).expect("app");
    let refused: &[(&[&str], &[&str])] = &[
        (
            &[
                "--input-source-map",
                "garbage.map",
                "--output-source-map",
                "o.map",
            ],
            &["source map", "not JSON"],
        ),
        (
            &[
                "--input-source-map",
                "v5.map",
                "--output-source-map",
                "o.map",
            ],
            &["source map", "version"],
        ),
        (
            &[
                "--input-source-map",
                "missing.map",
                "--output-source-map",
                "o.map",
            ],
            &["cannot read the input source map", "missing.map"],
        ),
        (
            &[
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "o.map",
                "--emit",
                "component",
            ],
            &["--output-source-map needs --emit module"],
        ),
        (
            &[
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "o.map",
                "--wat",
            ],
            &["--output-source-map needs binary output"],
        ),
        (
            &[
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "out.wasm",
            ],
            &["is also the output module"],
        ),
        (
            &[
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "app.wasm",
            ],
            &["refusing to write", "the app", "--output-source-map"],
        ),
        (
            &[
                "--input-source-map",
                "app.wasm.map",
                "--output-source-map",
                "app.wasm.map",
            ],
            &["refusing to write", "the input source map"],
        ),
    ];
    for (extra, needles) in refused {
        let output = link_with(&dir, extra);
        assert_fails(&output, &dir, needles);
        assert!(!dir.join("o.map").exists(), "{extra:?} wrote a map");
        assert_eq!(
            std::fs::read(dir.join("app.wasm")).expect("app"),
            app_before
        );
    }
    // What the argument parser refuses: one flag without its partner,
    // a map with --strip-debug.
    let parser: &[&[&str]] = &[
        &["--output-source-map", "o.map"],
        &["--input-source-map", "app.wasm.map"],
        &["--source-map-url", "x"],
        &[
            "--input-source-map",
            "app.wasm.map",
            "--output-source-map",
            "o.map",
            "--strip-debug",
        ],
    ];
    for extra in parser {
        let output = link_with(&dir, extra);
        let message = stderr(&output);
        assert!(!output.status.success(), "{extra:?} accepted");
        assert!(message.contains("error:"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
        assert!(!dir.join("out.wasm").exists() && !dir.join("o.map").exists());
    }
}

/// The map goes where `-o` would: a symbolic link to an input is refused,
/// a device is written into; and a module that cannot be written takes its
/// map with it, leaving an earlier map untouched.
#[test]
fn the_map_and_the_module_are_written_together() {
    let dir = scratch("together");
    app_with_map(&dir);
    let builtin = builtin_arg();
    let with_map = |out: &str, map: &str| {
        let args = [
            "link",
            "app.wasm",
            "--builtin",
            &builtin,
            "-o",
            out,
            "--input-source-map",
            "app.wasm.map",
            "--output-source-map",
            map,
        ];
        prelink(&args, &dir)
    };

    std::fs::write(dir.join("o.map"), b"the old map").expect("write");
    std::fs::create_dir(dir.join("a-directory")).expect("mkdir");
    let output = with_map("a-directory", "o.map");
    assert_fails(&output, &dir, &["a-directory", "is a directory"]);
    assert_eq!(
        std::fs::read(dir.join("o.map")).expect("map"),
        b"the old map"
    );

    let app_before = std::fs::read(dir.join("app.wasm")).expect("app");
    std::os::unix::fs::symlink("app.wasm", dir.join("link.map")).expect("symlink");
    let output = with_map("out.wasm", "link.map");
    assert_fails(&output, &dir, &["refusing to write", "the app"]);
    assert_eq!(
        std::fs::read(dir.join("app.wasm")).expect("app"),
        app_before
    );

    let output = with_map("out.wasm", "/dev/null");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("out.wasm").exists());
    assert_no_leftovers(&dir);
}

/// An app naming a source map that is not given loses the section with a
/// warning; `--strip-debug` drops it quietly.
#[test]
fn a_stale_url_is_dropped() {
    let dir = scratch("stale-url");
    let text = std::fs::read_to_string(example("app.wat")).expect("example");
    let mut app = wat::parse_str(&text).expect("parses");
    wasm_encoder::Section::append_to(
        &wasm_encoder::CustomSection {
            name: "sourceMappingURL".into(),
            data: {
                let mut data = Vec::new();
                wasm_encoder::Encode::encode("app.wasm.map", &mut data);
                data.into()
            },
        },
        &mut app,
    );
    std::fs::write(dir.join("app.wasm"), &app).expect("write");
    let output = link_with(&dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("dropped the app's `sourceMappingURL` section (`app.wasm.map`)"),
        "{}",
        stderr(&output)
    );
    let wasm = std::fs::read(dir.join("out.wasm")).expect("output");
    assert_eq!(url_of(&wasm), None);
    let output = link_with(&dir, &["--strip-debug"]);
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
}
