//! Any bytes as a JSONC file: `json::set` (server entry, nested project entry),
//! `json::ensure_in_array` and `json::remove` never panic; every edit parses, holds one
//! codeloop entry, is a no-op when planned again and reverses to the input byte for
//! byte (the checks in tests/it/checks.rs, shared with tests/it/properties.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        checks::check_json_all(text);
    }
});
