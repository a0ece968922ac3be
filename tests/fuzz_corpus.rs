#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! The fuzzers' committed inputs, replayed in the normal suite: every seed
//! under `fuzz/corpus/<target>/` and every input that once crashed a target
//! under `fuzz/regressions/<target>/` must go through its target without a
//! panic. (The fuzzers themselves run in `.ci/run`; see fuzz/README.md.)

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_committed_input_goes_through_its_target() {
    let mut failures = Vec::new();
    for target in tipdesk::fuzzing::TARGETS {
        let seeds = files(&fuzz_dir().join("corpus").join(target.name));
        assert!(
            !seeds.is_empty(),
            "fuzz/corpus/{} needs at least one seed input",
            target.name
        );
        let regressions = files(&fuzz_dir().join("regressions").join(target.name));
        for file in seeds.iter().chain(&regressions) {
            let data = std::fs::read(file).unwrap();
            let run = target.run;
            if std::panic::catch_unwind(move || run(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that crash: {failures:?}");
}

#[test]
fn every_corpus_folder_belongs_to_a_target() {
    for folder in ["corpus", "regressions"] {
        for entry in std::fs::read_dir(fuzz_dir().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    tipdesk::fuzzing::target(&name).is_some(),
                    "fuzz/{folder}/{name} has no target in tipdesk::fuzzing::TARGETS"
                );
            }
        }
    }
}
