//! Every variant of the C-program benchmark computes what native C does.
//!
//! The benchmark checks results as it times, but only when someone runs it;
//! this runs every call the native driver knows on a small buffer under
//! `cargo test`, in one instance per variant so state carries from call to
//! call (the filters and the encoder rewrite the buffer, the histogram keeps
//! its bins), and requires the same result and the same buffer after each
//! call. It needs clang for wasm32, like `snapshots/tests/c_example.rs`, and
//! fails without it rather than skipping.

use benches::c_program::{build, input, Call, Example, Kind, Runner, ALL};

/// Not a multiple of any filter width, so the last partial row is skipped
/// the same way everywhere.
const LEN: usize = 100_003;

fn runners(example: &Example, input: &[u8]) -> Vec<(Kind, Box<dyn Runner>)> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let file = example.path(&format!("input-{}.bin", kind.id()));
            let runner = build(kind, example, input, file)
                .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
            (kind, runner)
        })
        .collect()
}

/// One test, so the example is built once (clang takes a while on
/// `app.c`) and its directory removed at the end.
#[test]
fn every_variant_agrees_with_native_c() {
    let dir = Example::default_dir("test").expect("a directory for the example");
    let example = Example::build(dir).unwrap_or_else(|e| panic!("{e:?}"));
    agrees_on_every_call(&example);
    known_results_on_a_known_input(&example);
    timed_repetitions_do_every_call(&example);
}

/// Every call the native driver knows, one after another in one instance
/// per variant.
fn agrees_on_every_call(example: &Example) {
    let input = input(LEN);
    let mut runners = runners(example, &input);
    for call in ALL {
        let mut expected: Option<(i64, Vec<u8>)> = None;
        for (kind, runner) in &mut runners {
            let what = format!("`{}` on `{}`", kind.id(), call.id());
            let result = runner
                .call(call)
                .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            let buffer = runner.buffer().unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(buffer.len(), LEN, "{what}: buffer length");
            match &expected {
                None => expected = Some((result, buffer)),
                Some((want, want_buffer)) => {
                    assert_eq!(result, *want, "{what}: result");
                    let first_difference = buffer.iter().zip(want_buffer).position(|(a, b)| a != b);
                    assert_eq!(first_difference, None, "{what}: first differing byte");
                }
            }
        }
    }
}

/// The checksums' published check values, so agreement is not agreement
/// on a shared mistake.
fn known_results_on_a_known_input(example: &Example) {
    // "123456789" is the check input of both checksums' specifications.
    let input = b"123456789".to_vec();
    for (kind, mut runner) in runners(example, &input) {
        let mut call = |export| {
            runner
                .call(Call {
                    export,
                    args: &[],
                    signed: false,
                })
                .unwrap_or_else(|e| panic!("`{}` on `{export}`: {e:?}", kind.id()))
        };
        assert_eq!(call("crc32"), 0xCBF4_3926, "`{}`", kind.id());
        assert_eq!(call("adler32"), 0x091E_01DE, "`{}`", kind.id());
        assert_eq!(call("histogram"), 9, "`{}`", kind.id());
    }
}

/// The path the benchmark times makes every repetition: three
/// `increment_all`s add three.
fn timed_repetitions_do_every_call(example: &Example) {
    let input = input(4096 + 17);
    let increment = Call {
        export: "increment_all",
        args: &[],
        signed: false,
    };
    let expected: Vec<u8> = input.iter().map(|b| b.wrapping_add(3)).collect();
    for (kind, mut runner) in runners(example, &input) {
        runner
            .time(increment, 3)
            .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
        let buffer = runner
            .buffer()
            .unwrap_or_else(|e| panic!("`{}`: {e:?}", kind.id()));
        assert!(buffer == expected, "`{}`: three calls add three", kind.id());
    }
}
