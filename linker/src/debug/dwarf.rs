//! The inputs' DWARF, rewritten for the output's code offsets.
//!
//! Two paths give the same answer. DWARF 2–4 as compilers write it is
//! patched ([`fast`]): each unit's bytes are copied and only what names
//! code or another section is changed, so a link with tens of megabytes of
//! DWARF pays for reading it once. Anything else (DWARF 5, a DIE whose code
//! now lies in several places but has room for one range, malformed input)
//! is converted through gimli: every input's units are converted into one
//! `gimli::write::Dwarf` (so the string tables are shared), with every code
//! address sent through the code map: ranges and location lists are mapped
//! piece by piece. Either way the line tables are rebuilt from the output's
//! side, one sequence per output body, so that code inlined from a builtin
//! keeps the builtin's source lines.
//!
//! Malformed DWARF in one input must not cost the others theirs. The
//! converting path's first attempt converts every input straight into the
//! shared `Dwarf`, writing each unit as soon as it is converted (so one
//! unit's entries at a time are in memory); only when that fails is each
//! input converted and written into a scratch `Dwarf` first, and only the
//! inputs that convert cleanly are converted again into a fresh shared one,
//! so a link whose DWARF is sound pays for one conversion, not two.

mod bytes;
mod entries;
mod fast;
mod forward;
mod inlined;
mod insert;
mod lines;
mod program;
mod rows;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use gimli::write::{self, DebugInfoRef, EndianVec, Sections};
use gimli::{EndianSlice, LittleEndian};

use super::map::CodeMap;
use super::DebugInput;
use forward::Forward;
use lines::{InputLines, Owners};

/// The reader every input's sections are read with.
type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// Why an input's debug information was dropped: the section being read
/// when it went wrong, and gimli's complaint.
#[derive(Debug)]
struct Failure {
    section: &'static str,
    error: String,
}

impl Failure {
    /// An error met while working on `section`.
    fn at(section: &'static str) -> impl Fn(gimli::write::ConvertError) -> Failure {
        move |error| Failure {
            section,
            error: error.to_string(),
        }
    }

    /// A failure to write what was converted: no section to blame.
    fn write(error: gimli::write::Error) -> Failure {
        Failure {
            section: ".debug_info",
            error: error.to_string(),
        }
    }

    /// A read error met while working on `section`.
    fn read(section: &'static str) -> impl Fn(gimli::read::Error) -> Failure {
        move |error| Failure {
            section,
            error: error.to_string(),
        }
    }
}

/// What the conversion of one input needs to know about the whole link.
struct Context<'m> {
    /// Each input's line rows, `None` for inputs without (usable) DWARF.
    lines: Vec<Option<InputLines>>,
    /// Which output bodies each unit's line program describes.
    owners: Owners,
    /// The output body ranges, by body index.
    map: &'m CodeMap,
    /// Each input's function bodies, in order: where inlined code's
    /// callees are looked up.
    bodies: Vec<Vec<std::ops::Range<u32>>>,
    /// Whether any inlined code came from an input with DWARF: only then
    /// is there a callee to describe, and the bodies need reading.
    inlined: bool,
    /// The sequences read whole, by the output body they describe: that
    /// body's rows were not read, and its line program is these.
    whole: BTreeMap<usize, Vec<lines::Copied>>,
}

/// The output: the module `module` followed by the output's `.debug_*`
/// sections, as custom sections in a fixed order: the DWARF of every input
/// that has some, with code addresses in the output's Code section. An
/// input whose DWARF cannot be read is left out, with a warning. The module
/// is only read, so it can be validated meanwhile.
pub(crate) fn rewrite_into(
    inputs: &[DebugInput<'_>],
    map: &CodeMap,
    warnings: &mut Vec<String>,
    module: &[u8],
) -> Vec<u8> {
    write_as(inputs, map, warnings, Path::Patched, module).0
}

/// How the DWARF is rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// Patched in place where it can be ([`fast`]), converted otherwise.
    Patched,
    /// Always converted through gimli.
    Converted,
}

/// [`rewrite_into`], taking `path`; also says which path the sections
/// took.
fn write_as(
    inputs: &[DebugInput<'_>],
    map: &CodeMap,
    warnings: &mut Vec<String>,
    path: Path,
    module: &[u8],
) -> (Vec<u8>, Path) {
    let reads: Vec<Option<gimli::read::Dwarf<Reader<'_>>>> = inputs.iter().map(load).collect();
    if reads.iter().all(Option::is_none) {
        return (module.to_vec(), path);
    }
    let (context, failures) = if path == Path::Patched {
        let size: usize = inputs
            .iter()
            .flat_map(|input| &input.sections)
            .map(|(_, data)| data.len())
            .sum();
        let threads = size >= PARALLEL_DWARF && crate::parallel::workers() > 1;
        match patched(inputs, &reads, map, threads, module) {
            Ok(out) => return (out, Path::Patched),
            Err(read) => *read,
        }
    } else {
        read_lines(inputs, &reads, map, false)
    };
    for (index, failure) in &failures {
        warnings.push(dropped(&inputs[*index], failure));
    }
    let usable: Vec<(usize, &gimli::read::Dwarf<Reader<'_>>)> = reads
        .iter()
        .enumerate()
        .filter_map(|(index, read)| Some((index, read.as_ref()?)))
        .filter(|&(index, _)| context.lines[index].is_some())
        .collect();
    let (targets, edges) = inlined::targets(&context, &reads);
    let usable = inlined::callees_first(usable, &edges);
    // Every input converted once, straight into the output: what a link
    // whose DWARF is sound costs. Only when something fails is each input
    // converted on its own first (`checked`), to find which one to leave
    // out without leaving half of it behind.
    let convert = |checked: bool, warnings: &mut Vec<String>| {
        let mut dwarf = write::Dwarf::new();
        let mut out = Sections::new(EndianVec::new(LittleEndian));
        let mut callees = Callees {
            targets: targets.clone(),
            ids: BTreeMap::new(),
        };
        for &(index, read) in &usable {
            let forward = Forward::new(map, index as u32, &inputs[index].bodies);
            if checked {
                if let Err(failure) = validate(read, index, &forward, &context) {
                    warnings.push(dropped(&inputs[index], &failure));
                    continue;
                }
            }
            convert_input(
                &mut dwarf,
                &mut out,
                read,
                index,
                &forward,
                &context,
                &mut callees,
            )?;
        }
        finish(&mut dwarf, out).map_err(Failure::write)
    };
    let sections = convert(false, &mut Vec::new())
        .or_else(|_| convert(true, warnings))
        .unwrap_or_else(|failure| {
            warnings.push(format!(
                "dropped the debug information of every input: writing DWARF failed ({})",
                failure.error
            ));
            Vec::new()
        });
    let size: usize = sections
        .iter()
        .map(|(name, data)| name.len() + data.len() + 16)
        .sum();
    let mut out = Vec::with_capacity(module.len() + size);
    out.extend_from_slice(module);
    for (name, data) in sections {
        wasm_encoder::Section::append_to(
            &wasm_encoder::CustomSection {
                name: name.into(),
                data: data.into(),
            },
            &mut out,
        );
    }
    (out, Path::Converted)
}

/// [`write_as`] into nothing but the sections, and the sections read back:
/// what the tests compare.
#[cfg(test)]
fn rewrite_as(
    inputs: &[DebugInput<'_>],
    map: &CodeMap,
    warnings: &mut Vec<String>,
    path: Path,
) -> (Vec<(String, Vec<u8>)>, Path) {
    let (out, path) = write_as(inputs, map, warnings, path, &[]);
    (sections_in(&out), path)
}

/// [`rewrite_into`]'s sections, by name, in order.
#[cfg(test)]
fn rewrite(
    inputs: &[DebugInput<'_>],
    map: &CodeMap,
    warnings: &mut Vec<String>,
) -> Vec<(String, Vec<u8>)> {
    rewrite_as(inputs, map, warnings, Path::Patched).0
}

/// The custom sections that make up `bytes`, by name, in order.
#[cfg(test)]
fn sections_in(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut reader = wasmparser::BinaryReader::new(bytes, 0);
    let mut sections = Vec::new();
    while !reader.eof() {
        assert_eq!(reader.read_u8().unwrap(), 0, "not a custom section");
        let size = reader.read_var_u32().unwrap() as usize;
        let contents = reader.read_bytes(size).unwrap();
        let mut contents = wasmparser::BinaryReader::new(contents, 0);
        let name = contents.read_string().unwrap().to_string();
        let data = contents.read_bytes(contents.bytes_remaining()).unwrap();
        sections.push((name, data.to_vec()));
    }
    sections
}

/// Below this many bytes of DWARF, the patching path stays on one thread.
pub(crate) const PARALLEL_DWARF: usize = 1 << 20;

/// A small deterministic generator for the tests' random cases: each call
/// gives a number below `n`.
#[cfg(test)]
fn below(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    }
}

/// Every input's DWARF patched ([`fast`]) and appended to `out`. Three
/// pieces of work: walking the DIEs, reading the line rows, and writing the
/// line programs, which needs the rows. With `threads`, this thread walks
/// the DIEs while another reads the rows; each then takes whatever is left,
/// line programs first, so neither waits on the other but for the rows.
/// The output is a new buffer, which starts with a copy of `module` (the
/// first pieces of copying). When some input needs the converting path, or
/// has a line table that cannot be read, the rows read are handed back for
/// that path instead.
fn patched<'m>(
    inputs: &[DebugInput<'_>],
    reads: &[Option<gimli::read::Dwarf<Reader<'_>>>],
    map: &'m CodeMap,
    threads: bool,
    module: &[u8],
) -> Result<Vec<u8>, Box<LinesRead<'m>>> {
    let mut buf = Vec::new();
    let loaded: Vec<usize> = reads
        .iter()
        .enumerate()
        .filter_map(|(index, read)| read.as_ref().map(|_| index))
        .collect();
    // DIEs may be added only where the link inlined code of an input
    // with DWARF: only then does the walk note what that needs.
    let watch = inlined::possible(map, |input| reads.get(input).is_some_and(Option::is_some));
    let read = OnceLock::new();
    let (walk, programs) = if threads {
        let walk = OnceLock::new();
        let programs = OnceLock::new();
        std::thread::scope(|scope| {
            let job = scope.spawn(|| {
                // Whatever happens here, the other thread must not wait for
                // line programs that will never come.
                let _unblock = Unblock(&programs);
                let read = read.get_or_init(|| read_lines(inputs, reads, map, true));
                let lines = programs.get_or_init(|| to_write(inputs, &loaded, read));
                if let Some(lines) = lines {
                    lines.work();
                }
                if let Some(walk) = walk.get().and_then(Option::as_ref) {
                    fast::Walk::work(walk);
                }
            });
            if let Some(walk) =
                walk.get_or_init(|| fast::walk(inputs, &loaded, map, module, &mut buf, watch))
            {
                walk.work();
            }
            if let Some(lines) = programs.wait() {
                lines.work();
            }
            job.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        });
        (walk.into_inner().flatten(), programs.into_inner().flatten())
    } else {
        let walk = fast::walk(inputs, &loaded, map, module, &mut buf, watch);
        if let Some(walk) = &walk {
            walk.work();
        }
        let lines = to_write(
            inputs,
            &loaded,
            read.get_or_init(|| read_lines(inputs, reads, map, true)),
        );
        if let Some(lines) = &lines {
            lines.work();
        }
        (walk, lines)
    };
    let walked = walk.and_then(fast::Walk::finish);
    let programs = programs.and_then(fast::Lines::finish);
    let done = match (walked, programs) {
        (Some(walked), Some(programs)) => {
            // The functions the line programs found copies of.
            let callees = programs.values().flat_map(|(_, _, calls)| {
                calls.iter().filter_map(|call| match call.callee {
                    inlined::Named::Function(callee) => Some(callee),
                    inlined::Named::Die(..) => None,
                })
            });
            let targets = inlined::targets_of(callees, reads);
            fast::finish(walked, &programs, &mut buf, threads).and_then(|walked| {
                let end = module.len();
                fast::describe_inlined(&walked, &programs, &targets, end, &mut buf)
            })
        }
        _ => None,
    };
    match done {
        Some(()) => Ok(buf),
        // Both arms above read the rows before getting here; the
        // converting path needs every row, those of sequences that were
        // to be copied too.
        None => Err(Box::new(
            read.into_inner()
                .filter(|(context, _)| context.whole.is_empty())
                .unwrap_or_else(|| read_lines(inputs, reads, map, false)),
        )),
    }
}

/// The line programs to write, when every input's rows could be read.
fn to_write<'c>(
    inputs: &[DebugInput<'c>],
    loaded: &[usize],
    (context, failures): &'c LinesRead<'_>,
) -> Option<fast::Lines<'c>> {
    failures
        .is_empty()
        .then(|| fast::lines(inputs, loaded, context))
        .flatten()
}

/// Settles the line programs as none, if nothing else has, when dropped:
/// also when the thread that was to settle them unwinds.
struct Unblock<'l, 'c>(&'l OnceLock<Option<fast::Lines<'c>>>);

impl Drop for Unblock<'_, '_> {
    fn drop(&mut self) {
        let _ = self.0.set(None);
    }
}

/// Every input's line rows with the owners of the output's bodies, and
/// the inputs whose rows could not be read, with why (they are `None`).
type LinesRead<'m> = (Context<'m>, Vec<(usize, Failure)>);

/// Reads every input's line rows (what both paths need, the patching one
/// on a thread of its own). With `whole` (the patching path, whose line
/// programs can copy input sequences), the sequences of the bodies the
/// link copied in one piece are noted rather than read
/// ([`lines::whole_bodies`]).
fn read_lines<'m>(
    inputs: &[DebugInput<'_>],
    reads: &[Option<gimli::read::Dwarf<Reader<'_>>>],
    map: &'m CodeMap,
    whole: bool,
) -> LinesRead<'m> {
    let mut lines = Vec::with_capacity(reads.len());
    let mut failures = Vec::new();
    let copied = inlined::copied(map, reads.len());
    let whole_bodies = if whole {
        lines::whole_bodies(map, reads.len())
    } else {
        vec![Vec::new(); reads.len()]
    };
    for (index, read) in reads.iter().enumerate() {
        lines.push(read.as_ref().and_then(|read| {
            lines::read_input(read, copied[index], &whole_bodies[index])
                .map_err(|failure| failures.push((index, failure)))
                .ok()
        }));
    }
    let owners = Owners::new(map, &lines);
    let mut whole: BTreeMap<usize, Vec<lines::Copied>> = BTreeMap::new();
    for copied in lines
        .iter_mut()
        .flatten()
        .flat_map(|lines| lines.whole.drain(..))
    {
        whole.entry(copied.body).or_default().push(copied);
    }
    let bodies = inputs.iter().map(|input| input.bodies.clone()).collect();
    let inlined = copied
        .iter()
        .zip(&lines)
        .any(|(copied, lines)| *copied && lines.is_some());
    let context = Context {
        lines,
        owners,
        map,
        bodies,
        inlined,
        whole,
    };
    (context, failures)
}

/// The warning for an input whose debug information is left out.
fn dropped(input: &DebugInput<'_>, failure: &Failure) -> String {
    format!(
        "dropped the debug information of {}: {}: invalid DWARF ({})",
        input.name, failure.section, failure.error
    )
}

/// The input's DWARF sections for gimli, if it has a `.debug_info`.
fn load<'a>(input: &DebugInput<'a>) -> Option<gimli::read::Dwarf<Reader<'a>>> {
    let section = |name: &str| -> &'a [u8] {
        input
            .sections
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, data)| *data)
    };
    if section(".debug_info").is_empty() {
        return None;
    }
    let loaded: Result<_, gimli::read::Error> =
        gimli::read::Dwarf::load(|id| Ok(EndianSlice::new(section(id.name()), LittleEndian)));
    let mut loaded = loaded.ok()?;
    // Compilers share abbreviation tables between units (rustc's 469 units
    // of the benchmark module name 77 tables): parse each table once.
    loaded.populate_abbreviations_cache(gimli::read::AbbreviationsCacheStrategy::Duplicates);
    Some(loaded)
}

/// Converts the input into a scratch `Dwarf` and writes it, so that an
/// input that would fail midway never reaches the shared one. (Its
/// inlined calls are not described: no callee is looked up.)
fn validate(
    read: &gimli::read::Dwarf<Reader<'_>>,
    index: usize,
    forward: &Forward,
    context: &Context<'_>,
) -> Result<(), Failure> {
    let mut scratch = write::Dwarf::new();
    let mut out = Sections::new(EndianVec::new(LittleEndian));
    let mut callees = Callees::default();
    convert_input(
        &mut scratch,
        &mut out,
        read,
        index,
        forward,
        context,
        &mut callees,
    )?;
    scratch.write(&mut out).map_err(Failure::write)
}

/// The callees of inlined code as one `Dwarf` knows them: the input
/// offset of the DIE naming each ([`inlined::targets`]), and that DIE's id
/// once its input is converted.
#[derive(Default)]
struct Callees {
    targets: BTreeMap<inlined::Callee, u64>,
    ids: BTreeMap<(usize, u64), DebugInfoRef>,
}

/// Converts every unit of one input into `dwarf`, writing each to `out` as
/// soon as it is converted, which frees its entries: only one unit's tree
/// is in memory at a time. Builtin code inlined into its units is described
/// where the callee's DIE is known: in this input, or in one converted
/// before it, whose DIEs `callees` learnt (and learns this input's).
fn convert_input(
    dwarf: &mut write::Dwarf,
    out: &mut Sections<EndianVec<LittleEndian>>,
    read: &gimli::read::Dwarf<Reader<'_>>,
    index: usize,
    forward: &Forward,
    context: &Context<'_>,
    callees: &mut Callees,
) -> Result<(), Failure> {
    // The DIEs calls may name: functions' and their compilers' inlined
    // subroutines' origins.
    let nested = context
        .lines
        .get(index)
        .and_then(Option::as_ref)
        .map(|lines| lines.nested.values().flatten().map(|nested| nested.origin));
    let mut wanted: Vec<u64> = callees
        .targets
        .iter()
        .filter(|((input, _), _)| *input == index)
        .map(|(_, offset)| *offset)
        .chain(nested.into_iter().flatten())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let first_unit = dwarf.units.count();
    let mut found = Vec::new();
    let mut convert = dwarf.convert(read).map_err(Failure::at(".debug_info"))?;
    let mut unit_index = 0;
    while let Some((mut unit, root)) = convert.read_unit().map_err(Failure::at(".debug_info"))? {
        let calls = lines::convert_program(&mut unit, (index, unit_index), context)
            .map_err(Failure::at(".debug_line"))?;
        let converted =
            entries::convert_entries(&mut unit, root, forward, !calls.is_empty(), &wanted)
                .map_err(Failure::at(".debug_info"))?;
        if !calls.is_empty() {
            // A callee of this input has its id already: the converter
            // gives every DIE of the input one before any is converted.
            let origins: Vec<Option<DebugInfoRef>> = calls
                .iter()
                .map(|call| {
                    let offset = call.callee.offset(&callees.targets)?;
                    if call.callee.input() == index {
                        let offset = gimli::DebugInfoOffset(usize::try_from(offset).ok()?);
                        return unit.convert_debug_info_ref(offset).ok();
                    }
                    callees.ids.get(&(call.callee.input(), offset)).copied()
                })
                .collect();
            entries::add_calls(&mut unit, &calls, &origins, &converted);
        }
        found.extend(
            converted
                .wanted
                .into_iter()
                .map(|(o, id)| (unit_index, o, id)),
        );
        unit.write(out).map_err(Failure::write)?;
        unit_index += 1;
    }
    for (unit_index, offset, id) in found {
        let unit = dwarf.units.id(first_unit + unit_index);
        callees
            .ids
            .insert((index, offset), DebugInfoRef::Entry(unit, id));
    }
    Ok(())
}

/// The rest of `dwarf` written after its units, and the sections that are
/// not empty, in gimli's fixed order.
fn finish(
    dwarf: &mut write::Dwarf,
    mut out: Sections<EndianVec<LittleEndian>>,
) -> Result<Vec<(String, Vec<u8>)>, write::Error> {
    dwarf.write(&mut out)?;
    let mut sections = Vec::new();
    out.for_each(|id, data| {
        if !data.slice().is_empty() {
            sections.push((id.name().to_string(), data.slice().to_vec()));
        }
        Ok::<(), write::Error>(())
    })?;
    Ok(sections)
}
