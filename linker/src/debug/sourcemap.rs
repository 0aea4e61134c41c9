//! The app's source map, rewritten for the linked module's code offsets.
//!
//! A Wasm source map (Source Map v3) has one generated "line"; each
//! segment's generated column is the byte offset in the `.wasm` file of an
//! instruction. Linking moves the app's code, so every column would point
//! at the wrong bytes afterwards. This module does what
//! `wasm-opt --input-source-map --output-source-map` do: the output is
//! driven by the [`CodeMap`] of the linked module, so every stretch of
//! output code that came from the app carries the app's mapping for it, and
//! code that did not (a builtin's body, synthesized code) is marked as
//! having no source instead of inheriting the line before it.
//!
//! The map is read with `serde_json::Value` and written by hand so that the
//! keys keep the conventional order without serde_json's `preserve_order`.

use super::map::{CodeMap, Source};
use serde_json::Value;

/// Where a segment's code came from in the original sources. Kept as the
/// raw indices so that `sources` and `names` can be carried over unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    source: u32,
    line: u32,
    col: u32,
    name: Option<u32>,
}

/// One decoded segment: a column (a file offset, or a code offset once
/// rebased) and the mapping from there on (`None`: no source).
type Segment = (u32, Option<Loc>);

/// The decoded source map, minus its mappings' encoding.
struct SourceMap {
    file: Option<String>,
    source_root: Option<String>,
    sources: Value,
    sources_content: Option<Value>,
    names: Value,
    /// Sorted by column, one segment per column.
    segments: Vec<Segment>,
}

/// Rewrites the source map `json` of input `app` for the linked module.
///
/// The app's columns are file offsets, so `app_code_start` (the file offset
/// of the app's Code section contents) turns them into the code offsets the
/// [`CodeMap`] speaks of, and `out_code_start` turns the output's code
/// offsets back into file offsets of the linked module. Mappings before the
/// app's Code section name no code and are dropped.
pub(crate) fn rewrite(
    json: &[u8],
    app: u32,
    app_code_start: u32,
    map: &CodeMap,
    out_code_start: u32,
) -> Result<Vec<u8>, String> {
    let parsed = parse(json)?;
    let input: Vec<Segment> = parsed
        .segments
        .iter()
        .filter_map(|&(column, loc)| column.checked_sub(app_code_start).map(|o| (o, loc)))
        .collect();
    let segments = relocate(&input, app, map);
    let mut shifted = Vec::with_capacity(segments.len());
    for (out, loc) in segments {
        let column = out
            .checked_add(out_code_start)
            .filter(|&c| c <= MAX_VALUE)
            .ok_or_else(|| {
                format!("output code offset {out} is past what a source map column can hold")
            })?;
        shifted.push((column, loc));
    }
    write(&parsed, &shifted)
}

/// Maps the app's segments (at app code offsets) to the output's code
/// offsets, walking the output in order.
fn relocate(input: &[Segment], app: u32, map: &CodeMap) -> Vec<Segment> {
    // The mapping in force at app code offset `at`: the last segment at or
    // before it.
    let covering = |at: u32| -> Option<Loc> {
        let i = input.partition_point(|s| s.0 <= at);
        i.checked_sub(1).and_then(|i| input[i].1)
    };
    let mut out = Vec::new();
    for (i, mark) in map.marks.iter().enumerate() {
        let end = map.mark_end(i);
        if end <= mark.out {
            continue;
        }
        match mark.source {
            Source::Copy(from) if from.input == app => {
                emit(&mut out, mark.out, covering(from.offset));
                let start = u64::from(from.offset);
                let stop = start + u64::from(end - mark.out);
                let first = input.partition_point(|s| u64::from(s.0) <= start);
                let last = input.partition_point(|s| u64::from(s.0) < stop);
                for &(at, loc) in &input[first..last.max(first)] {
                    // `at - from.offset < end - mark.out`, so this stays
                    // below `end`.
                    emit(&mut out, mark.out + (at - from.offset), loc);
                }
            }
            Source::At(from) if from.input == app => {
                emit(&mut out, mark.out, covering(from.offset));
            }
            // Code that is not the app's own: inlined into the app, it
            // stands for the call it replaced; otherwise it has no source.
            _ => {
                let loc = match mark.site {
                    Some(site) if site.input == app => covering(site.offset),
                    _ => None,
                };
                emit(&mut out, mark.out, loc);
            }
        }
    }
    out
}

/// Appends a segment unless it repeats the mapping already in force; a
/// segment at the same column as the last replaces it.
fn emit(out: &mut Vec<Segment>, at: u32, loc: Option<Loc>) {
    if out.last().is_some_and(|s| s.0 >= at) {
        out.pop();
    }
    let in_force = out.last().and_then(|s| s.1);
    if in_force == loc {
        return;
    }
    out.push((at, loc));
}

/// The largest value a segment field may hold: the format's values are
/// 32-bit signed.
const MAX_VALUE: u32 = i32::MAX as u32;

fn parse(json: &[u8]) -> Result<SourceMap, String> {
    let value: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the source map is not a JSON object".into());
    };
    if object.contains_key("sections") {
        return Err("index maps (`sections`) are not supported".into());
    }
    match object.get("version") {
        None => return Err("`version` is missing, expected 3".into()),
        Some(v) if v.as_u64() == Some(3) => {}
        Some(v) => return Err(format!("`version` is {v}, expected 3")),
    }
    let optional_string = |key: &str| -> Result<Option<String>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(format!("`{key}` is {v}, expected a string")),
        }
    };
    let file = optional_string("file")?;
    let source_root = optional_string("sourceRoot")?;
    let list = |key: &str, required: bool| -> Result<Option<(Value, usize)>, String> {
        match object.get(key) {
            None if !required => Ok(None),
            None => Err(format!("`{key}` is missing")),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !matches!(item, Value::String(_) | Value::Null) {
                        return Err(format!("`{key}[{i}]` is {item}, expected a string or null"));
                    }
                }
                Ok(Some((Value::Array(items.clone()), items.len())))
            }
            Some(v) => Err(format!("`{key}` is {v}, expected an array")),
        }
    };
    let (sources, source_count) = list("sources", true)?.unwrap_or_default();
    let (names, name_count) = list("names", false)?.unwrap_or((Value::Array(Vec::new()), 0));
    let sources_content = list("sourcesContent", false)?.map(|(v, _)| v);
    let mappings = match object.get("mappings") {
        None => return Err("`mappings` is missing".into()),
        Some(Value::String(s)) => s,
        Some(v) => return Err(format!("`mappings` is {v}, expected a string")),
    };
    let mut segments = decode_mappings(mappings, source_count, name_count)?;
    // Columns need not be in order; at one column the last segment wins, as
    // it would for a reader walking the map.
    segments.sort_by_key(|s| s.0);
    let mut unique: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments {
        match unique.last_mut() {
            Some(last) if last.0 == segment.0 => *last = segment,
            _ => unique.push(segment),
        }
    }
    Ok(SourceMap {
        file,
        source_root,
        sources,
        sources_content,
        names,
        segments: unique,
    })
}

/// Why a base64 VLQ could not be read.
#[derive(Debug, PartialEq, Eq)]
enum VlqError {
    /// Not a base64 digit.
    Invalid,
    /// The last digit asked for more.
    CutShort,
    /// Outside the format's 32-bit signed range.
    OutOfRange,
}

fn base64_digit(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Reads one VLQ starting at `*pos`, leaving `*pos` after it (or at the
/// offending character).
fn decode_vlq(bytes: &[u8], pos: &mut usize) -> Result<i64, VlqError> {
    let mut magnitude: u64 = 0;
    let mut shift = 0u32;
    loop {
        let byte = match bytes.get(*pos) {
            None | Some(b',' | b';') => return Err(VlqError::CutShort),
            Some(&byte) => byte,
        };
        let digit = base64_digit(byte).ok_or(VlqError::Invalid)?;
        *pos += 1;
        if shift > 32 {
            return Err(VlqError::OutOfRange);
        }
        magnitude |= u64::from(digit & 0x1f) << shift;
        shift += 5;
        if digit & 0x20 == 0 {
            break;
        }
    }
    let negative = magnitude & 1 == 1;
    let magnitude = magnitude >> 1;
    if magnitude > u64::from(MAX_VALUE) {
        return Err(VlqError::OutOfRange);
    }
    // Fits: at most 2^31 - 1.
    let value = magnitude as i64;
    Ok(if negative { -value } else { value })
}

fn encode_vlq(value: i64, out: &mut String) {
    let mut rest = (value.unsigned_abs() << 1) | u64::from(value < 0);
    loop {
        let mut digit = (rest & 0x1f) as usize;
        rest >>= 5;
        if rest != 0 {
            digit |= 0x20;
        }
        out.push(char::from(BASE64[digit]));
        if rest == 0 {
            break;
        }
    }
}

/// Decodes `mappings` into segments at absolute file-offset columns, in
/// the map's order, checking every index against the lists it names.
fn decode_mappings(
    mappings: &str,
    source_count: usize,
    name_count: usize,
) -> Result<Vec<Segment>, String> {
    let bytes = mappings.as_bytes();
    let mut segments = Vec::new();
    // Running values: the column restarts at each line, the rest carry
    // across the whole map.
    let (mut column, mut source, mut line, mut col, mut name) = (0i64, 0i64, 0i64, 0i64, 0i64);
    let mut generated_line = 0usize;
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b',' => {
                pos += 1;
                continue;
            }
            b';' => {
                pos += 1;
                generated_line += 1;
                column = 0;
                continue;
            }
            _ => {}
        }
        if generated_line > 0 {
            return Err(format!(
                "`mappings`: segment on generated line {} at character {pos}; a Wasm source map has one line",
                generated_line + 1
            ));
        }
        let mut fields = [0i64; 5];
        let mut count = 0;
        while pos < bytes.len() && bytes[pos] != b',' && bytes[pos] != b';' {
            let at = pos;
            let value = decode_vlq(bytes, &mut pos).map_err(|e| match e {
                VlqError::Invalid => format!("`mappings`: invalid base64 VLQ at character {pos}"),
                VlqError::CutShort => {
                    format!("`mappings`: base64 VLQ cut short at character {pos}")
                }
                VlqError::OutOfRange => {
                    format!("`mappings`: base64 VLQ value out of range at character {at}")
                }
            })?;
            if count == fields.len() {
                return Err(format!(
                    "`mappings`: segment at character {at} has more than 5 fields"
                ));
            }
            fields[count] = value;
            count += 1;
        }
        column += fields[0];
        let at = u32::try_from(column)
            .ok()
            .filter(|&c| c <= MAX_VALUE)
            .ok_or_else(|| format!("`mappings`: generated column {column} is out of range"))?;
        let loc = match count {
            1 => None,
            4 | 5 => {
                source += fields[1];
                line += fields[2];
                col += fields[3];
                let source = index(source, source_count)
                    .ok_or_else(|| format!("segment at column {at} names source {source} but `sources` has {source_count} entries"))?;
                let line = u32::try_from(line)
                    .map_err(|_| format!("segment at column {at} has original line {line}"))?;
                let col = u32::try_from(col)
                    .map_err(|_| format!("segment at column {at} has original column {col}"))?;
                let name = if count == 5 {
                    name += fields[4];
                    Some(index(name, name_count).ok_or_else(|| {
                        format!("segment at column {at} names name {name} but `names` has {name_count} entries")
                    })?)
                } else {
                    None
                };
                Some(Loc {
                    source,
                    line,
                    col,
                    name,
                })
            }
            _ => {
                return Err(format!(
                    "segment at column {at} has {count} fields, expected 1, 4 or 5"
                ))
            }
        };
        segments.push((at, loc));
    }
    Ok(segments)
}

/// `value` as an index into a list of `count` entries.
fn index(value: i64, count: usize) -> Option<u32> {
    usize::try_from(value)
        .ok()
        .filter(|&i| i < count)
        .and_then(|i| u32::try_from(i).ok())
}

/// Encodes segments (sorted by column) as one generated line.
fn encode_mappings(segments: &[Segment]) -> String {
    let mut out = String::new();
    let (mut column, mut source, mut line, mut col, mut name) = (0i64, 0i64, 0i64, 0i64, 0i64);
    for (i, &(at, loc)) in segments.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_vlq(i64::from(at) - column, &mut out);
        column = i64::from(at);
        if let Some(loc) = loc {
            encode_vlq(i64::from(loc.source) - source, &mut out);
            encode_vlq(i64::from(loc.line) - line, &mut out);
            encode_vlq(i64::from(loc.col) - col, &mut out);
            source = i64::from(loc.source);
            line = i64::from(loc.line);
            col = i64::from(loc.col);
            if let Some(n) = loc.name {
                encode_vlq(i64::from(n) - name, &mut out);
                name = i64::from(n);
            }
        }
    }
    out
}

/// Writes the output map with its keys in the conventional order.
fn write(map: &SourceMap, segments: &[Segment]) -> Result<Vec<u8>, String> {
    let json = |v: &Value| serde_json::to_string(v).map_err(|e| format!("writing JSON: {e}"));
    let string = |s: &str| json(&Value::String(s.to_owned()));
    let mut out = String::from("{\"version\":3");
    if let Some(file) = &map.file {
        out.push_str(",\"file\":");
        out.push_str(&string(file)?);
    }
    if let Some(root) = &map.source_root {
        out.push_str(",\"sourceRoot\":");
        out.push_str(&string(root)?);
    }
    out.push_str(",\"sources\":");
    out.push_str(&json(&map.sources)?);
    if let Some(content) = &map.sources_content {
        out.push_str(",\"sourcesContent\":");
        out.push_str(&json(content)?);
    }
    out.push_str(",\"names\":");
    out.push_str(&json(&map.names)?);
    out.push_str(",\"mappings\":");
    out.push_str(&string(&encode_mappings(segments))?);
    out.push('}');
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::map::{Mark, Origin};

    const APP: u32 = 2;

    fn loc(source: u32, line: u32, col: u32) -> Option<Loc> {
        Some(Loc {
            source,
            line,
            col,
            name: None,
        })
    }

    fn named(source: u32, line: u32, col: u32, name: u32) -> Option<Loc> {
        Some(Loc {
            source,
            line,
            col,
            name: Some(name),
        })
    }

    fn at(input: u32, offset: u32) -> Origin {
        Origin { input, offset }
    }

    fn mark(out: u32, source: Source, site: Option<Origin>) -> Mark {
        Mark { out, source, site }
    }

    fn json(sources: usize, names: usize, segments: &[Segment]) -> String {
        let list = |prefix: &str, n: usize| -> String {
            let items: Vec<String> = (0..n).map(|i| format!("\"{prefix}{i}\"")).collect();
            format!("[{}]", items.join(","))
        };
        format!(
            r#"{{"version":3,"sources":{},"names":{},"mappings":"{}"}}"#,
            list("src/", sources),
            list("f", names),
            encode_mappings(segments)
        )
    }

    /// The output's segments, at output code offsets.
    fn decoded(out: &[u8], code_start: u32) -> Vec<Segment> {
        parse(out)
            .expect("output parses")
            .segments
            .into_iter()
            .map(|(c, l)| (c - code_start, l))
            .collect()
    }

    fn covering(segments: &[Segment], at: u32) -> Option<Loc> {
        let i = segments.partition_point(|s| s.0 <= at);
        i.checked_sub(1).and_then(|i| segments[i].1)
    }

    fn roundtrip(value: i64) -> Result<i64, VlqError> {
        let mut s = String::new();
        encode_vlq(value, &mut s);
        let mut pos = 0;
        let got = decode_vlq(s.as_bytes(), &mut pos)?;
        assert_eq!(pos, s.len(), "{value} read to the end of {s:?}");
        Ok(got)
    }

    #[test]
    fn vlq_round_trips_and_known_strings() {
        let max = i64::from(i32::MAX);
        for v in [
            0,
            1,
            -1,
            15,
            -15,
            16,
            -16,
            31,
            -31,
            32,
            -32,
            1000,
            -1000,
            123_456_789,
            max - 1,
            max,
            -max,
        ] {
            assert_eq!(roundtrip(v), Ok(v));
        }
        assert_eq!(roundtrip(max + 1), Err(VlqError::OutOfRange));
        assert_eq!(roundtrip(-max - 1), Err(VlqError::OutOfRange));
        assert_eq!(roundtrip(1 << 40), Err(VlqError::OutOfRange));
        // By hand: 16 is 32 with the sign bit, 0b1_00000: low five bits 0
        // with the continuation bit ('g' = 32), then 1 ('B').
        let cases: [(&str, i64); 7] = [
            ("A", 0),
            ("C", 1),
            ("D", -1),
            ("e", 15),
            ("f", -15),
            ("gB", 16),
            ("hB", -16),
        ];
        for (s, v) in cases {
            let mut text = String::new();
            encode_vlq(v, &mut text);
            assert_eq!(text, s);
            assert_eq!(decode_vlq(s.as_bytes(), &mut 0), Ok(v));
        }
        assert_eq!(
            decode_mappings("AAAA", 1, 0).unwrap(),
            vec![(0, loc(0, 0, 0))]
        );
        assert_eq!(
            decode_mappings("gBAAA", 1, 1).unwrap(),
            vec![(16, loc(0, 0, 0))]
        );
        assert_eq!(
            decode_mappings("gBAAAC", 1, 2).unwrap(),
            vec![(16, named(0, 0, 0, 1))]
        );
        // Deltas: the second segment is 2 columns on, source 1, line 3, col 5.
        assert_eq!(
            decode_mappings("gBAAA,ECGK", 2, 1).unwrap(),
            vec![(16, loc(0, 0, 0)), (18, loc(1, 3, 5))]
        );
        assert_eq!(decode_vlq(b"g", &mut 0), Err(VlqError::CutShort));
        assert_eq!(decode_vlq(b"g,", &mut 0), Err(VlqError::CutShort));
        assert_eq!(decode_vlq(b"!", &mut 0), Err(VlqError::Invalid));
        assert_eq!(decode_vlq(b"ggggggggA", &mut 0), Err(VlqError::OutOfRange));
    }

    fn sample() -> Vec<Segment> {
        // App code offsets; made file offsets by the callers.
        vec![
            (0, loc(0, 1, 0)),
            (5, loc(0, 2, 4)),
            (9, None),
            (12, named(1, 3, 2, 1)),
            (20, loc(1, 4, 0)),
        ]
    }

    fn at_file(segments: &[Segment], start: u32) -> Vec<Segment> {
        segments.iter().map(|&(c, l)| (c + start, l)).collect()
    }

    #[test]
    fn identity_keeps_the_mappings() {
        let start = 40;
        let mut input = at_file(&sample(), start);
        // Before the Code section: dropped.
        input.insert(0, (3, loc(0, 0, 0)));
        let text = format!(
            r#"{{"version":3,"file":"app.wasm","sourceRoot":"/r","sources":["a.c",null],"sourcesContent":["int x;",null],"names":["f0","main"],"mappings":"{}"}}"#,
            encode_mappings(&input)
        );
        let map = CodeMap {
            marks: vec![mark(0, Source::Copy(at(APP, 0)), None)],
            end: 30,
            bodies: vec![],
        };
        let out = rewrite(text.as_bytes(), APP, start, &map, start).unwrap();
        assert_eq!(decoded(&out, start), sample());
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["sources"], serde_json::json!(["a.c", null]));
        assert_eq!(value["sourcesContent"], serde_json::json!(["int x;", null]));
        assert_eq!(value["names"], serde_json::json!(["f0", "main"]));
        assert_eq!(value["file"], "app.wasm");
        assert_eq!(value["sourceRoot"], "/r");
        let text = String::from_utf8(out).unwrap();
        let order: Vec<usize> = [
            "\"version\"",
            "\"file\"",
            "\"sourceRoot\"",
            "\"sources\"",
            "\"sourcesContent\"",
            "\"names\"",
            "\"mappings\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    /// The linked module of the moved-code tests: output code offsets.
    fn moved() -> CodeMap {
        CodeMap {
            marks: vec![
                mark(0, Source::None, None),
                mark(4, Source::Copy(at(APP, 12)), None),
                mark(14, Source::At(at(APP, 7)), None),
                mark(16, Source::Copy(at(APP, 0)), None),
                mark(26, Source::Copy(at(0, 0)), None),
                mark(30, Source::Copy(at(0, 4)), Some(at(APP, 21))),
                mark(34, Source::At(at(APP, 25)), None),
            ],
            end: 40,
            bodies: vec![],
        }
    }

    #[test]
    fn moved_code_keeps_its_lines() {
        let (start, out_start) = (40, 7);
        let text = json(2, 2, &at_file(&sample(), start));
        let map = moved();
        let out = decoded(
            &rewrite(text.as_bytes(), APP, start, &map, out_start).unwrap(),
            out_start,
        );
        assert_eq!(
            out,
            vec![
                (4, named(1, 3, 2, 1)),
                (12, loc(1, 4, 0)),
                (14, loc(0, 2, 4)),
                (16, loc(0, 1, 0)),
                (21, loc(0, 2, 4)),
                (25, None),
                (30, loc(1, 4, 0)),
            ]
        );
        // Wherever the app's code went, it carries the mapping it had.
        for (i, m) in map.marks.iter().enumerate() {
            let len = map.mark_end(i) - m.out;
            match m.source {
                Source::Copy(o) if o.input == APP => {
                    for k in 0..len {
                        assert_eq!(covering(&out, m.out + k), covering(&sample(), o.offset + k));
                    }
                }
                Source::At(o) if o.input == APP => {
                    for k in 0..len {
                        assert_eq!(covering(&out, m.out + k), covering(&sample(), o.offset));
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn inlined_code_takes_the_call_site() {
        let text = json(2, 2, &sample());
        let map = CodeMap {
            marks: vec![
                mark(0, Source::Copy(at(APP, 0)), None),
                // A builtin's body inlined at the app's call at 6.
                mark(4, Source::Copy(at(0, 30)), Some(at(APP, 6))),
                // Code written for a call inlined at 13.
                mark(7, Source::None, Some(at(APP, 13))),
                mark(8, Source::Copy(at(APP, 8)), None),
                // A builtin's own code, and one inlined into a builtin.
                mark(14, Source::Copy(at(0, 0)), None),
                mark(20, Source::Copy(at(1, 0)), Some(at(0, 3))),
                mark(24, Source::At(at(APP, 21)), None),
            ],
            end: 26,
            bodies: vec![],
        };
        let out = decoded(&rewrite(text.as_bytes(), APP, 0, &map, 0).unwrap(), 0);
        assert_eq!(
            out,
            vec![
                (0, loc(0, 1, 0)),
                (4, loc(0, 2, 4)),
                (7, named(1, 3, 2, 1)),
                (8, loc(0, 2, 4)),
                (9, None),
                (12, named(1, 3, 2, 1)),
                (14, None),
                (24, loc(1, 4, 0)),
            ]
        );
        // No source at the very start is no segment at all.
        let map = CodeMap {
            marks: vec![
                mark(0, Source::Copy(at(0, 0)), None),
                mark(5, Source::Copy(at(APP, 0)), None),
                mark(7, Source::Copy(at(0, 9)), None),
            ],
            end: 9,
            bodies: vec![],
        };
        let out = decoded(&rewrite(text.as_bytes(), APP, 0, &map, 100).unwrap(), 100);
        assert_eq!(out, vec![(5, loc(0, 1, 0)), (7, None)]);
    }

    fn error(text: &str) -> String {
        let map = moved();
        rewrite(text.as_bytes(), APP, 0, &map, 0).unwrap_err()
    }

    #[test]
    fn bad_maps_say_what_is_wrong() {
        let cases = [
            ("{", "not JSON: "),
            ("[]", "not a JSON object"),
            (
                r#"{"version":5,"sources":[],"mappings":""}"#,
                "`version` is 5, expected 3",
            ),
            (r#"{"sources":[],"mappings":""}"#, "`version` is missing"),
            (r#"{"version":3,"mappings":""}"#, "`sources` is missing"),
            (
                r#"{"version":3,"sources":[1],"mappings":""}"#,
                "`sources[0]` is 1",
            ),
            (
                r#"{"version":3,"sources":[],"names":{},"mappings":""}"#,
                "`names` is {}",
            ),
            (r#"{"version":3,"sources":[]}"#, "`mappings` is missing"),
            (
                r#"{"version":3,"sources":[],"file":2,"mappings":""}"#,
                "`file` is 2",
            ),
            (
                r#"{"version":3,"sections":[]}"#,
                "index maps (`sections`) are not supported",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"AAAA,C!AA"}"#,
                "`mappings`: invalid base64 VLQ at character 6",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"AAAg"}"#,
                "`mappings`: base64 VLQ cut short at character 4",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"gggggggggA"}"#,
                "`mappings`: base64 VLQ value out of range at character 0",
            ),
            (
                r#"{"version":3,"sources":["a","b","c"],"mappings":"UOAA"}"#,
                "segment at column 10 names source 7 but `sources` has 3 entries",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"UAAAC"}"#,
                "segment at column 10 names name 1 but `names` has 0 entries",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"UAA"}"#,
                "segment at column 10 has 3 fields, expected 1, 4 or 5",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"AAAAAA"}"#,
                "has more than 5 fields",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"AADA"}"#,
                "has original line -1",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"D"}"#,
                "generated column -1 is out of range",
            ),
            (
                r#"{"version":3,"sources":["a"],"mappings":"A;A"}"#,
                "generated line 2",
            ),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert!(
                message.contains(expected),
                "{text}: {message:?} lacks {expected:?}"
            );
        }
        // Trailing empty lines and empty segments are harmless.
        let map = moved();
        assert!(rewrite(
            br#"{"version":3,"sources":["a"],"mappings":",AAAA,,;;"}"#,
            APP,
            0,
            &map,
            0
        )
        .is_ok());
        // An output past the columns a map can hold.
        let ok = br#"{"version":3,"sources":["a"],"mappings":"AAAA"}"#;
        let message = rewrite(ok, APP, 0, &map, u32::MAX - 3).unwrap_err();
        assert!(
            message.contains("past what a source map column can hold"),
            "{message}"
        );
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn no_input_panics() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let map = moved();
        let good = json(2, 2, &sample());
        // Every truncation of a good map.
        for n in 0..good.len() {
            let _ = rewrite(&good.as_bytes()[..n], APP, 0, &map, 0);
        }
        const ALPHABET: &[u8] = b"ABCDEFghijz09+/,;!=";
        for _ in 0..4000 {
            let case = rng.below(3);
            let text: Vec<u8> = match case {
                // Random bytes.
                0 => (0..rng.below(48)).map(|_| rng.next() as u8).collect(),
                // A good map with one byte changed.
                1 => {
                    let mut bytes = good.clone().into_bytes();
                    let i = rng.below(bytes.len() as u64) as usize;
                    bytes[i] = rng.next() as u8;
                    bytes
                }
                // Random mappings.
                _ => {
                    let mappings: String = (0..rng.below(40))
                        .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]))
                        .collect();
                    format!(
                        r#"{{"version":3,"sources":["a","b"],"names":["n"],"mappings":"{mappings}"}}"#
                    )
                    .into_bytes()
                }
            };
            let (app_start, out_start) = match rng.below(3) {
                0 => (0, 0),
                1 => (rng.below(64) as u32, rng.below(64) as u32),
                _ => (rng.next() as u32, rng.next() as u32),
            };
            let _ = rewrite(&text, APP, app_start, &map, out_start);
            // Decoding alone, and its results encode back to the same
            // segments.
            if let Ok(text) = std::str::from_utf8(&text) {
                if let Ok(segments) = decode_mappings(text, 2, 1) {
                    let again = encode_mappings(&segments);
                    if segments.windows(2).all(|w| w[0].0 <= w[1].0) {
                        assert_eq!(decode_mappings(&again, 2, 1).unwrap(), segments);
                    }
                }
            }
        }
        // Odd code maps: origins near the top of the offset range.
        let odd = CodeMap {
            marks: vec![
                mark(0, Source::Copy(at(APP, u32::MAX - 2)), None),
                mark(5, Source::At(at(APP, u32::MAX)), Some(at(APP, u32::MAX))),
            ],
            end: 5,
            bodies: vec![],
        };
        let _ = rewrite(good.as_bytes(), APP, 0, &odd, 0);
    }

    #[test]
    fn output_is_deterministic() {
        let text = json(2, 2, &at_file(&sample(), 40));
        let map = moved();
        let first = rewrite(text.as_bytes(), APP, 40, &map, 7).unwrap();
        let second = rewrite(text.as_bytes(), APP, 40, &map, 7).unwrap();
        assert_eq!(first, second);
    }
}
