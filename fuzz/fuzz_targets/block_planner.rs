//! Any bytes as an rc file: `block::upsert` and `block::remove` never panic; every
//! edit holds exactly one codeloop block, is a no-op when planned again, keeps every
//! byte outside the block and reverses to the input (tests/it/checks.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        checks::check_block_all(text);
    }
});
