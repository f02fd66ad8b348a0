//! The two questions codeloop asks about a project in git — which of these paths are
//! ignored, which are tracked (and, for `doctor`'s leak scan, every tracked path) —
//! answered in-process for the common layout (a `.git` directory, the default
//! excludes file, an index of version 2 to 4), so a run need not start git at all.
//! Anything else (worktrees, a custom `core.excludesFile`, config includes, split or
//! sparse indexes, `GIT_*` overrides) returns `None` and the caller asks the git
//! binary. Read-only: this never writes.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::sys::Sys;

/// Which of `candidates` git would call ignored, and which of `files` are tracked;
/// `None` when only git itself can say. Paths are relative to `top`, with `/`.
pub fn answers(
    sys: &Sys,
    top: &Path,
    candidates: &[String],
    files: &[String],
) -> Option<(Vec<String>, Vec<String>)> {
    let (git_dir, config_home) = plain_layout(sys, top)?;
    let tracked_all = index_paths(&git_dir.join("index"))?;
    let tracked: Vec<String> = files
        .iter()
        .filter(|f| tracked_all.contains(f.as_str()))
        .cloned()
        .collect();

    let global = matcher(top, &config_home.join("git").join("ignore"))?;
    let exclude = matcher(top, &git_dir.join("info").join("exclude"))?;
    let mut ignored = Vec::new();
    for candidate in candidates {
        // git check-ignore never calls a tracked file ignored.
        if tracked_all.contains(candidate.as_str()) {
            continue;
        }
        if is_ignored(top, candidate, &exclude, &global)? {
            ignored.push(candidate.clone());
        }
    }
    Some((ignored, tracked))
}

/// Every path git tracks in the work tree at `top` (what `git ls-files` lists,
/// relative to `top`, with `/`), in git's order; `None` when only git can say.
pub fn tracked(sys: &Sys, top: &Path) -> Option<Vec<String>> {
    let (git_dir, _) = plain_layout(sys, top)?;
    index_paths(&git_dir.join("index")).map(|set| set.into_iter().collect())
}

/// The `.git` directory and the config home, when the repository's layout is one
/// this module fully understands.
fn plain_layout(sys: &Sys, top: &Path) -> Option<(PathBuf, PathBuf)> {
    let git_dir = top.join(".git");
    if !git_dir.is_dir() || sys.env().keys().any(|k| k.starts_with("GIT_")) {
        return None;
    }
    let home = sys.home()?;
    let config_home = sys
        .var("XDG_CONFIG_HOME")
        .map_or_else(|| home.join(".config"), PathBuf::from);
    for config in [
        home.join(".gitconfig"),
        config_home.join("git").join("config"),
        PathBuf::from("/etc/gitconfig"),
        git_dir.join("config"),
    ] {
        if let Ok(text) = fs::read_to_string(&config) {
            let text = text.to_ascii_lowercase();
            // Settings that change where excludes come from or how the index reads.
            if [
                "excludesfile",
                "[include",
                "objectformat",
                "splitindex",
                "sparse",
            ]
            .iter()
            .any(|s| text.contains(s))
            {
                return None;
            }
        }
    }
    Some((git_dir, config_home))
}

/// A matcher for one ignore file whose patterns are relative to `root`; an empty one
/// when the file does not exist. `None` when it cannot be read or parsed.
fn matcher(root: &Path, file: &Path) -> Option<Gitignore> {
    if !file.exists() {
        return Some(Gitignore::empty());
    }
    let mut builder = GitignoreBuilder::new(root);
    if builder.add(file).is_some() {
        return None;
    }
    builder.build().ok()
}

/// git's precedence: a directory on the way that is excluded excludes everything in
/// it; otherwise the deepest `.gitignore` with a matching pattern decides, then
/// `info/exclude`, then the global excludes file.
fn is_ignored(top: &Path, rel: &str, exclude: &Gitignore, global: &Gitignore) -> Option<bool> {
    let parts: Vec<&str> = rel.split('/').collect();
    for depth in 1..=parts.len() {
        let is_dir = depth < parts.len();
        let path = top.join(parts[..depth].join("/"));
        // The .gitignore files of this entry's ancestors, deepest first.
        let mut decided = Match::None;
        for up in (0..depth).rev() {
            let dir = top.join(parts[..up].join("/"));
            let m = matcher(&dir, &dir.join(".gitignore"))?;
            decided = matched(&m, &path, is_dir);
            if !decided.is_none() {
                break;
            }
        }
        if decided.is_none() {
            decided = matched(exclude, &path, is_dir);
        }
        if decided.is_none() {
            decided = matched(global, &path, is_dir);
        }
        if decided.is_ignore() {
            return Some(true);
        }
    }
    Some(false)
}

fn matched(m: &Gitignore, path: &Path, is_dir: bool) -> Match<()> {
    match m.matched(path, is_dir) {
        Match::None => Match::None,
        Match::Ignore(_) => Match::Ignore(()),
        Match::Whitelist(_) => Match::Whitelist(()),
    }
}

/// Every path in a git index (`DIRC`, versions 2 to 4). An absent index tracks
/// nothing. `None` for anything this reader does not fully understand.
fn index_paths(index: &Path) -> Option<BTreeSet<String>> {
    let bytes = match fs::read(index) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(BTreeSet::new()),
        Err(_) => return None,
    };
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(8)? as usize;
    let mut at = 12;
    let mut paths = BTreeSet::new();
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let entry_start = at;
        // ctime, mtime, dev, ino, mode, uid, gid, size, a SHA-1, then the flags.
        at += 40 + 20;
        let flags = u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?);
        at += 2;
        if version >= 3 && flags & 0x4000 != 0 {
            at += 2; // extended flags
        }
        let name: Vec<u8> = if version == 4 {
            // The name is the previous one minus N bytes, plus a NUL-ended suffix.
            let (strip, used) = varint(bytes.get(at..)?)?;
            at += used;
            let end = at + memchr::memchr(0, bytes.get(at..)?)?;
            let keep = previous.len().checked_sub(strip)?;
            let mut name = previous[..keep].to_vec();
            name.extend_from_slice(&bytes[at..end]);
            at = end + 1;
            name
        } else {
            let end = at + memchr::memchr(0, bytes.get(at..)?)?;
            let name = bytes[at..end].to_vec();
            // NUL padding to a multiple of eight, keeping at least one NUL.
            let len = end - entry_start;
            at = entry_start + (len + 8) / 8 * 8;
            name
        };
        paths.insert(String::from_utf8(name.clone()).ok()?);
        previous = name;
    }
    // Extensions: a split index keeps entries elsewhere; a sparse one lists
    // directories in place of files. Either way, ask git.
    while at + 8 <= bytes.len().saturating_sub(20) {
        let signature = &bytes[at..at + 4];
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        let size = be32(at + 4)? as usize;
        at += 8 + size;
    }
    Some(paths)
}

/// git's offset varint (`decode_varint`): the number, and how many bytes it took.
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut used = 0;
    let mut c = *bytes.first()?;
    let mut value = usize::from(c & 0x7f);
    while c & 0x80 != 0 {
        used += 1;
        c = *bytes.get(used)?;
        value = value.checked_add(1)?.checked_shl(7)? | usize::from(c & 0x7f);
    }
    Some((value, used + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_offset_varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x7f]), Some((((1 + 1) << 7) | 0x7f, 2)));
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn an_absent_index_tracks_nothing_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            index_paths(&dir.path().join("index")),
            Some(BTreeSet::new())
        );
        let bad = dir.path().join("bad");
        crate::fsx::write_atomic(
            &bad,
            b"DIRC\0\0\0\x09\0\0\0\0",
            crate::fsx::Mode::KeepOr(0o600),
        )
        .unwrap();
        assert_eq!(index_paths(&bad), None);
    }
}
