//! The README's target tables are checked against the registry: every target is in
//! the targets list, every client has a detection row and a row in "Every file
//! `init` can touch", in the registry's order.

use codeloop::clients;
use codeloop::target::Target;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The section of the README under `heading`, up to the next heading.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has {heading}"));
    let rest = &text[start + heading.len()..];
    let end = rest.find("\n#").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_targets_list_names_every_target_in_order() {
    let text = readme();
    let list = section(&text, "## `codeloop init`");
    let start = list.find("Targets: ").expect("a targets list");
    let line: String = list[start..]
        .split("An\nunknown")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let listed: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
    assert_eq!(listed, Target::names(), "README: {line}");
}

#[test]
fn every_client_has_a_detection_row_and_a_files_row_in_registry_order() {
    let text = readme();
    let detection = section(&text, "### Detection");
    let files = section(&text, "### Every file `init` can touch");
    let mut last_detection = 0;
    let mut last_files = 0;
    for c in clients::ALL {
        let row = format!("\n| {} |", c.label);
        let at = detection
            .find(&row)
            .unwrap_or_else(|| panic!("no detection row for {} ({row:?})", c.id));
        assert!(
            at >= last_detection,
            "{} is out of order in Detection",
            c.id
        );
        last_detection = at;
        let row = format!("\n| {} |", c.id);
        let at = files
            .find(&row)
            .unwrap_or_else(|| panic!("no row for {} in Every file init can touch", c.id));
        assert!(at >= last_files, "{} is out of order in Every file", c.id);
        last_files = at;
    }
}
