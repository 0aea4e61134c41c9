//! Limits on what a function body may ask of the compiler, checked before
//! the body reaches Cranelift.
//!
//! Cranelift's memory grows with the size of the function it compiles and,
//! through cranelift-wasm's control stack and the blocks and SSA variables
//! each `block`, `loop` and `if` opens, with its control nesting. A small
//! adversarial module — a million nested `if`s is 5 MB of Wasm — made the
//! compiler allocate about 2.9 GB and abort the process under a 4 GB
//! address-space cap. An allocation failure aborts; it cannot be turned
//! into an error afterwards. So the runtime refuses, with an error naming
//! the function, what it would not be able to compile within bounded
//! memory:
//!
//! * [`MAX_FUNCTION_SIZE`]: 7,654,321 bytes of body, the limit every web
//!   engine enforces (the JS API's "implementation limits"), so no module
//!   that runs in a browser is refused; and
//! * [`MAX_NESTING`]: 10,000 nested control blocks. Compilers emit deep
//!   nesting for one construct, a `switch` lowered to a `br_table` over
//!   one `block` per case, so the limit is far above any switch written by
//!   hand, and it bounds the control stack's cost at a few tens of
//!   megabytes.
//!
//! Both are checked by one pass over the operators, which costs a small
//! fraction of the translation that follows.

use cranelift_wasm::wasmparser::{FunctionBody, Operator};
use cranelift_wasm::FuncIndex;

use crate::error::Error;

/// The largest function body compiled, in bytes.
pub(crate) const MAX_FUNCTION_SIZE: usize = 7_654_321;

/// The deepest control nesting compiled: blocks, loops, `if`s and
/// exception-handling blocks open at once, the function's own body
/// included.
pub(crate) const MAX_NESTING: usize = 10_000;

/// Refuses `body` (of function `index`) when it is larger or nests deeper
/// than the runtime compiles.
pub(crate) fn check_body(index: FuncIndex, body: &FunctionBody<'_>) -> Result<(), Error> {
    let size = body.range().len();
    if size > MAX_FUNCTION_SIZE {
        return Err(Error::Compile(format!(
            "function {} has a body of {size} bytes, more than the {MAX_FUNCTION_SIZE} bytes \
             the runtime compiles",
            index.as_u32()
        )));
    }
    let depth = nesting(body).map_err(|e| Error::Compile(e.to_string()))?;
    if depth > MAX_NESTING {
        return Err(Error::Compile(format!(
            "function {} nests control blocks {depth} deep, more than the {MAX_NESTING} levels \
             the runtime compiles",
            index.as_u32()
        )));
    }
    Ok(())
}

/// The deepest control nesting of `body`, stopping early once it is past
/// [`MAX_NESTING`].
fn nesting(body: &FunctionBody<'_>) -> cranelift_wasm::wasmparser::Result<usize> {
    let mut reader = body.get_operators_reader()?;
    // The function body is the outermost block.
    let mut depth = 1usize;
    let mut deepest = depth;
    while !reader.eof() {
        match reader.read()? {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_NESTING {
                    break;
                }
            }
            Operator::End => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_wasm::wasmparser::BinaryReader;

    /// A body of `depth - 1` nested `block`s inside the function's own.
    fn nested_blocks(depth: usize) -> Vec<u8> {
        let mut code = vec![0x00]; // no locals
        code.extend(std::iter::repeat_n([0x02, 0x40], depth - 1).flatten());
        code.extend(std::iter::repeat_n(0x0b, depth));
        code
    }

    fn depth_of(code: &[u8]) -> usize {
        let body = FunctionBody::new(BinaryReader::new(code, 0));
        nesting(&body).expect("the body parses")
    }

    #[test]
    fn nesting_counts_the_body_and_every_open_block() {
        assert_eq!(depth_of(&nested_blocks(1)), 1);
        assert_eq!(depth_of(&nested_blocks(3)), 3);
        // Two blocks in sequence are one level deep, not two.
        assert_eq!(
            depth_of(&[0x00, 0x02, 0x40, 0x0b, 0x02, 0x40, 0x0b, 0x0b]),
            2
        );
    }

    #[test]
    fn the_limit_itself_compiles_and_one_more_level_does_not() {
        let index = FuncIndex::from_u32(7);
        let ok = nested_blocks(MAX_NESTING);
        let body = FunctionBody::new(BinaryReader::new(&ok, 0));
        assert!(check_body(index, &body).is_ok());
        let deep = nested_blocks(MAX_NESTING + 1);
        let body = FunctionBody::new(BinaryReader::new(&deep, 0));
        let message = check_body(index, &body).unwrap_err().to_string();
        assert!(
            message.contains("function 7 nests control blocks 10001 deep"),
            "{message}"
        );
    }
}
