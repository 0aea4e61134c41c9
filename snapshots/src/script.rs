//! The script of a case: what to do with an instance once it exists.
//!
//! A script is a text file, one step per line, so a case reads like a
//! session at a REPL and a reviewer sees at a glance what is exercised.
//! Blank lines and lines starting with `#` are ignored.
//!
//! ```text
//! buffer-size 32            # host buffer length (default 16); only before
//!                           # any step. Byte i starts as i mod 256.
//! invoke run 1 -2 0x10      # call export `run`; arguments follow its
//!                           # parameter types: integers (decimal or 0x hex,
//!                           # may be negative), floats (also nan, inf,
//!                           # -inf), v128 as 0x + 32 hex digits
//!                           # (little-endian), references only as null
//! global counter            # value of exported global `counter`
//! memory memory 0 16        # bytes [0, 16) of exported memory `memory`
//! table funcs 3             # element 3 of exported table `funcs`: null, or
//!                           # the results of calling it when it takes no
//!                           # parameters
//! buffer 0 16               # bytes [0, 16) of the host buffer
//! host-memory 0 16          # bytes [0, 16) of the host's `env.memory`
//! host-counter              # the host's `env.counter`
//! host-table 3              # element 3 of the host's `env.table`, as `table`
//! ```
//!
//! Instantiation is implicit: it happens before the first step and is the
//! first line of every transcript.

use std::fmt;

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Call an export with arguments (parsed against its type when run).
    Invoke {
        /// Export name.
        export: String,
        /// Arguments as written.
        args: Vec<String>,
    },
    /// Read an exported global.
    Global {
        /// Export name.
        export: String,
    },
    /// Dump bytes of an exported memory.
    Memory {
        /// Export name.
        export: String,
        /// First byte.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
    /// Inspect an element of an exported table.
    Table {
        /// Export name.
        export: String,
        /// Element index.
        index: u64,
    },
    /// Dump bytes of the host buffer.
    Buffer {
        /// First byte.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
    /// Dump bytes of the host's `env.memory`.
    HostMemory {
        /// First byte.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
    /// Read the host's `env.counter`.
    HostCounter,
    /// Inspect an element of the host's `env.table`.
    HostTable {
        /// Element index.
        index: u64,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Invoke { export, args } => {
                write!(f, "invoke {export}")?;
                for arg in args {
                    write!(f, " {arg}")?;
                }
                Ok(())
            }
            Step::Global { export } => write!(f, "global {export}"),
            Step::Memory {
                export,
                offset,
                len,
            } => write!(f, "memory {export} {offset} {len}"),
            Step::Table { export, index } => write!(f, "table {export} {index}"),
            Step::Buffer { offset, len } => write!(f, "buffer {offset} {len}"),
            Step::HostMemory { offset, len } => write!(f, "host-memory {offset} {len}"),
            Step::HostCounter => f.write_str("host-counter"),
            Step::HostTable { index } => write!(f, "host-table {index}"),
        }
    }
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Length of the host buffer.
    pub buffer_size: usize,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The buffer length when a script does not set one: large enough for a
/// few 64-bit values, small enough to print in full.
pub const DEFAULT_BUFFER_SIZE: usize = 16;

impl Script {
    /// Parses a script; errors name the line.
    pub fn parse(text: &str) -> Result<Script, String> {
        let mut script = Script {
            buffer_size: DEFAULT_BUFFER_SIZE,
            steps: Vec::new(),
        };
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = |message: String| format!("line {}: {message}", number + 1);
            if words[0] == "buffer-size" {
                if !script.steps.is_empty() {
                    return Err(at("`buffer-size` must come before every step".into()));
                }
                script.buffer_size = match words.as_slice() {
                    [_, size] => number_arg(size).map_err(at)? as usize,
                    _ => return Err(at("expected `buffer-size N`".into())),
                };
                continue;
            }
            script.steps.push(parse_step(&words).map_err(at)?);
        }
        Ok(script)
    }

    /// The host buffer a run starts with.
    pub fn initial_buffer(&self) -> Vec<u8> {
        (0..self.buffer_size).map(|i| i as u8).collect()
    }
}

fn parse_step(words: &[&str]) -> Result<Step, String> {
    let name = |s: &str| s.to_string();
    Ok(match words {
        ["invoke", export, args @ ..] => Step::Invoke {
            export: name(export),
            args: args.iter().map(|a| a.to_string()).collect(),
        },
        ["global", export] => Step::Global {
            export: name(export),
        },
        ["memory", export, offset, len] => Step::Memory {
            export: name(export),
            offset: number_arg(offset)?,
            len: number_arg(len)?,
        },
        ["table", export, index] => Step::Table {
            export: name(export),
            index: number_arg(index)?,
        },
        ["buffer", offset, len] => Step::Buffer {
            offset: number_arg(offset)?,
            len: number_arg(len)?,
        },
        ["host-memory", offset, len] => Step::HostMemory {
            offset: number_arg(offset)?,
            len: number_arg(len)?,
        },
        ["host-counter"] => Step::HostCounter,
        ["host-table", index] => Step::HostTable {
            index: number_arg(index)?,
        },
        _ => return Err(format!("unknown step `{}`", words.join(" "))),
    })
}

/// A non-negative integer, decimal or `0x` hex.
fn number_arg(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a non-negative integer"))
}

/// An integer argument of `bits` bits: signed or unsigned decimal, or hex
/// (which may be negated). Wraps into the width like the text format does.
pub fn int_arg(text: &str, bits: u32) -> Result<u64, String> {
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match magnitude.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => magnitude.parse::<u64>(),
    }
    .map_err(|_| format!("`{text}` is not an integer"))?;
    let limit = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    if value > limit {
        return Err(format!("`{text}` does not fit in {bits} bits"));
    }
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    Ok(value & limit)
}

/// A float argument: a decimal, `nan`, `inf` or `-inf`.
pub fn float_arg(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .map_err(|_| format!("`{text}` is not a float"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step_and_the_buffer_size() {
        let script = Script::parse(
            "# setup\nbuffer-size 4\ninvoke run 1 -2\nglobal g\nmemory m 0 0x10\ntable t 3\n\
             buffer 0 4\nhost-memory 8 8\nhost-counter\nhost-table 1\n",
        )
        .unwrap();
        assert_eq!(script.buffer_size, 4);
        assert_eq!(script.initial_buffer(), vec![0, 1, 2, 3]);
        assert_eq!(script.steps.len(), 8);
        assert_eq!(script.steps[0].to_string(), "invoke run 1 -2");
        assert_eq!(script.steps[2].to_string(), "memory m 0 16");
    }

    #[test]
    fn rejects_late_buffer_size_and_unknown_steps() {
        let err = Script::parse("invoke run\nbuffer-size 4").unwrap_err();
        assert_eq!(err, "line 2: `buffer-size` must come before every step");
        let err = Script::parse("\nfrobnicate").unwrap_err();
        assert_eq!(err, "line 2: unknown step `frobnicate`");
    }

    #[test]
    fn integers_wrap_into_their_width() {
        assert_eq!(int_arg("-1", 32).unwrap(), 0xffff_ffff);
        assert_eq!(int_arg("0xffffffff", 32).unwrap(), 0xffff_ffff);
        assert_eq!(int_arg("-0x8000000000000000", 64).unwrap(), 1 << 63);
        assert!(int_arg("0x100000000", 32).is_err());
        assert!(int_arg("one", 32).is_err());
    }
}
