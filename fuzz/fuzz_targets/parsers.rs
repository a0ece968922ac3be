//! The libFuzzer entry point for every target of `tipdesk::fuzzing`:
//! `TIPDESK_FUZZ_TARGET=form_body cargo fuzz run -s none parsers ...`.
#![no_main]

use std::sync::OnceLock;

static TARGET: OnceLock<fn(&[u8])> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let run = TARGET.get_or_init(|| {
        let name = std::env::var("TIPDESK_FUZZ_TARGET").unwrap_or_default();
        tipdesk::fuzzing::target(&name).unwrap_or_else(|| {
            let known: Vec<&str> = tipdesk::fuzzing::TARGETS.iter().map(|t| t.name).collect();
            panic!("set TIPDESK_FUZZ_TARGET to one of {known:?}")
        })
    });
    run(data);
});
