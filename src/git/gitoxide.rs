//! In-process answers from gitoxide's crates: `gix-discover` finds the top and the git
//! directories (linked worktrees and submodules included), `gix-config` reads the
//! configuration files git would (includes and conditional includes followed),
//! `gix-index` reads the index (versions 2 to 4, split indexes), `gix-ignore` parses
//! ignore files; this file applies git's precedence between them. Each answer is `None`
//! wherever these cannot be trusted to agree with git, and the caller asks git: a `GIT_*`
//! variable that changes git's answers (`GIT_DIR`, `GIT_INDEX_FILE`, `GIT_CONFIG_*`…),
//! a sparse index, a SHA-256 repository, a work tree moved by `core.worktree`, a bare
//! repository, anything unreadable.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use gix_config::Source;
use gix_config::file::{Metadata, includes, init};
use gix_config::path::interpolate;
use gix_ignore::glob::pattern::Case;
use gix_ignore::glob::search::pattern::List;
use gix_ignore::search::Ignore;

use crate::sys::Sys;

/// `GIT_*` variables (prefixes) that change nothing answered here; any other one sends
/// the question to git. `GIT_CONFIG_NOSYSTEM` is honoured in-process.
const HARMLESS: &[&str] = &[
    "GIT_ASKPASS",
    "GIT_AUTHOR_",
    "GIT_CEILING_DIRECTORIES",
    "GIT_COMMITTER_",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CURL_",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_EDITOR",
    "GIT_HTTP_",
    "GIT_MERGE_",
    "GIT_PAGER",
    "GIT_PS1_",
    "GIT_SEQUENCE_EDITOR",
    "GIT_SSH",
    "GIT_TERMINAL_PROMPT",
    "GIT_TRACE",
];

/// The top of the work tree holding `dir`, found as git finds it: the nearest
/// directory whose `.git` (a directory, or a `gitdir:` file of a worktree or a
/// submodule) is a valid repository, not crossing into another file system.
pub fn top(sys: &Sys, dir: &Path) -> Option<PathBuf> {
    let options = gix_discover::upwards::Options {
        dot_git_only: true,
        current_dir: Some(&sys.cwd),
        ..Default::default()
    };
    let (path, _trust) = gix_discover::upwards_opts(dir, options).ok()?;
    path.into_repository_and_work_tree_directories().1
}

/// Which of `candidates` git would ignore and which of `files` it tracks.
pub fn answers(
    sys: &Sys,
    top: &Path,
    candidates: &[String],
    files: &[String],
) -> Option<(Vec<String>, Vec<String>)> {
    let repo = Repo::open(sys, top)?;
    let index = repo.index()?;
    let is_tracked = |path: &str| index.entry_index_by_path(path.as_bytes().into()).is_ok();
    if beyond_git(&index, top, candidates) {
        return None;
    }
    let tracked = files.iter().filter(|f| is_tracked(f)).cloned().collect();
    let mut ignores = Ignores::new(&repo)?;
    let mut ignored = Vec::new();
    for candidate in candidates {
        // git check-ignore never calls a tracked file ignored.
        if !is_tracked(candidate) && ignores.is_ignored(candidate)? {
            ignored.push(candidate.clone());
        }
    }
    Some((ignored, tracked))
}

/// An ignore file and a line number in it.
type Line = (PathBuf, usize);

/// Which of the untracked `candidates` git would not ignore once the `.gitignore` in
/// `planned.0` (a directory relative to the top, `""` for the top) holds the text
/// `planned.1`; each with the ignore file and line number that un-ignores it, when a
/// negation does.
pub fn visible(
    sys: &Sys,
    top: &Path,
    candidates: &[String],
    planned: Option<(&str, &str)>,
) -> Option<Vec<(String, Option<Line>)>> {
    let repo = Repo::open(sys, top)?;
    let index = repo.index()?;
    if beyond_git(&index, top, candidates) {
        return None;
    }
    let mut ignores = Ignores::new(&repo)?;
    if let Some((dir, text)) = planned {
        ignores.overlay(dir, text)?;
    }
    let mut visible = Vec::new();
    for candidate in candidates {
        let (ignored, negation) = ignores.decide(candidate)?;
        if !ignored {
            visible.push((candidate.clone(), negation));
        }
    }
    Some(visible)
}

/// Whether one of `candidates` is beyond a symlink or inside a submodule: git
/// check-ignore refuses such a path, and then answers for none of them; git is asked,
/// so its refusal is the answer.
fn beyond_git(index: &gix_index::File, top: &Path, candidates: &[String]) -> bool {
    for candidate in candidates {
        let mut parts = candidate.split('/');
        parts.next_back();
        let mut prefix = String::new();
        for part in parts {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            let submodule = index
                .entry_by_path(prefix.as_bytes().into())
                .is_some_and(|e| e.mode.is_submodule());
            let symlink = fs::symlink_metadata(top.join(&prefix)).is_ok_and(|m| m.is_symlink());
            if submodule || symlink {
                return true;
            }
        }
    }
    false
}

/// Every path in the index, each once (an unmerged path has an entry per stage).
pub fn tracked(sys: &Sys, top: &Path) -> Option<Vec<String>> {
    let index = Repo::open(sys, top)?.index()?;
    let mut list: Vec<String> = Vec::with_capacity(index.entries().len());
    for entry in index.entries() {
        let path: &[u8] = entry.path(&index);
        if list.last().is_some_and(|last| last.as_bytes() == path) {
            continue;
        }
        list.push(String::from_utf8_lossy(path).into_owned());
    }
    Some(list)
}

/// A work tree whose layout gitoxide's crates answer for as git would.
struct Repo {
    top: PathBuf,
    /// The work tree's own git directory (its index, `config.worktree`).
    git_dir: PathBuf,
    /// The repository's shared one (`info/exclude`, `config`); the same but in a
    /// linked worktree.
    common_dir: PathBuf,
    /// `core.excludesFile`, else the default global excludes file.
    excludes_file: Option<PathBuf>,
    case: Case,
}

impl Repo {
    fn open(sys: &Sys, top: &Path) -> Option<Repo> {
        let overridden = sys
            .env()
            .keys()
            .any(|k| k.starts_with("GIT_") && !HARMLESS.iter().any(|h| k.starts_with(h)));
        if overridden {
            return None;
        }
        let dot_git = top.join(".git");
        let kind = gix_discover::is_git(&dot_git).ok()?;
        let path = gix_discover::repository::Path::from_dot_git_dir(dot_git, kind, &sys.cwd)?;
        let (git_dir, work_tree) = path.into_repository_and_work_tree_directories();
        if work_tree.as_deref() != Some(top) {
            return None;
        }
        let common_dir = match gix_discover::path::from_plain_file(&git_dir.join("commondir")) {
            None => git_dir.clone(),
            Some(Ok(dir)) => git_dir.join(dir),
            Some(Err(_)) => return None,
        };
        let home = sys.home();
        let paths = interpolate::Context {
            git_install_dir: None,
            home_dir: home.as_deref(),
            home_for_user: Some(interpolate::home_for_user),
        };
        let config = config(sys, paths, &git_dir, &common_dir)?;

        if config.boolean("core.bare").ok()? == Some(true) {
            return None;
        }
        if config
            .string("extensions.objectFormat")
            .is_some_and(|f| !f.eq_ignore_ascii_case(b"sha1"))
        {
            return None;
        }
        if let Some(work_tree) = config.path("core.worktree") {
            // Relative to the git directory; submodules' git directories name theirs.
            let work_tree = git_dir.join(work_tree.interpolate(paths).ok()?);
            if dunce::canonicalize(work_tree).ok()? != dunce::canonicalize(top).ok()? {
                return None;
            }
        }
        let case = match config.boolean("core.ignoreCase").ok()? {
            Some(true) => Case::Fold,
            _ => Case::Sensitive,
        };
        let excludes_file = match config.path("core.excludesFile") {
            // A relative one is opened from the top, where git runs.
            Some(file) => Some(top.join(file.interpolate(paths).ok()?)),
            None => sys
                .var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".config")))
                .map(|dir| dir.join("git").join("ignore")),
        };
        Some(Repo {
            top: top.to_path_buf(),
            git_dir,
            common_dir,
            excludes_file,
            case,
        })
    }

    /// The index (empty when there is none yet); `None` for a sparse one, whose
    /// directory entries only git can expand.
    fn index(&self) -> Option<gix_index::File> {
        let options = gix_index::decode::Options {
            thread_limit: Some(1),
            ..Default::default()
        };
        // The checksum is not verified (`skip_hash`): a torn index fails to decode.
        let index = gix_index::File::at_or_default(
            self.git_dir.join("index"),
            gix_index::hash::Kind::Sha1,
            true,
            options,
        )
        .ok()?;
        (!index.is_sparse()).then_some(index)
    }
}

/// The configuration git reads for this work tree: the system file (Unix), the XDG
/// and home ones, the repository's, and `config.worktree` when enabled; includes and
/// conditional includes (`gitdir`, `onbranch`, `hasconfig`) followed.
fn config(
    sys: &Sys,
    paths: interpolate::Context<'_>,
    git_dir: &Path,
    common_dir: &Path,
) -> Option<gix_config::File> {
    let no_system = match sys.var("GIT_CONFIG_NOSYSTEM") {
        Some(v) => {
            gix_config::Boolean::try_from(std::ffi::OsString::from(v))
                .ok()?
                .0
        }
        None => false,
    };
    let mut files = Vec::new();
    if cfg!(unix) && !no_system {
        files.push(Metadata::from(Source::System).at("/etc/gitconfig"));
    }
    if let Some(dir) = sys
        .var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| paths.home_dir.map(|h| h.join(".config")))
    {
        files.push(Metadata::from(Source::Git).at(dir.join("git").join("config")));
    }
    if let Some(home) = paths.home_dir {
        files.push(Metadata::from(Source::User).at(home.join(".gitconfig")));
    }
    files.push(Metadata::from(Source::Local).at(common_dir.join("config")));

    let branch = fs::read_to_string(git_dir.join("HEAD"))
        .ok()
        .and_then(|head| {
            let name = head.strip_prefix("ref:")?.trim();
            gix_ref::FullName::try_from(name).ok()
        });
    let options = init::Options {
        includes: includes::Options::follow(
            paths,
            includes::conditional::Context {
                git_dir: Some(git_dir),
                branch_name: branch.as_ref().map(AsRef::as_ref),
            },
        ),
        lossy: true,
        ignore_io_errors: false,
    };
    let mut buf = Vec::new();
    let mut read = |files: Vec<Metadata>| {
        gix_config::File::from_paths_metadata_buf(&mut files.into_iter(), &mut buf, false, options)
    };
    let mut config = read(files).ok()?.unwrap_or_default();
    if config.boolean("extensions.worktreeConfig").ok()? == Some(true) {
        let worktree = Metadata::from(Source::Worktree).at(git_dir.join("config.worktree"));
        if let Some(more) = read(vec![worktree]).ok()? {
            config.append(more).ok()?;
        }
    }
    Some(config)
}

/// The ignore files of one work tree, each read once.
struct Ignores<'r> {
    repo: &'r Repo,
    /// `.gitignore` by directory (relative to the top, `""` for the top itself).
    per_dir: HashMap<String, Option<List<Ignore>>>,
    exclude: Option<List<Ignore>>,
    global: Option<List<Ignore>>,
    buf: Vec<u8>,
}

impl<'r> Ignores<'r> {
    fn new(repo: &'r Repo) -> Option<Ignores<'r>> {
        let mut buf = Vec::new();
        let exclude = repo.common_dir.join("info").join("exclude");
        let exclude = List::from_file(exclude, None, true, &mut buf, Ignore::default()).ok()?;
        let global = match &repo.excludes_file {
            Some(file) => List::from_file(file, None, true, &mut buf, Ignore::default()).ok()?,
            None => None,
        };
        Some(Ignores {
            repo,
            per_dir: HashMap::new(),
            exclude,
            global,
            buf,
        })
    }

    /// git's precedence: a directory on the way that is excluded excludes everything
    /// in it; otherwise the deepest `.gitignore` with a matching pattern decides (its
    /// last matching line), then `info/exclude`, then the global excludes file.
    fn is_ignored(&mut self, rel: &str) -> Option<bool> {
        self.decide(rel).map(|(ignored, _)| ignored)
    }

    /// Whether `rel` is ignored, and when it is not, the file and line number of the
    /// negation that re-included it (or the last directory on the way), if one did.
    fn decide(&mut self, rel: &str) -> Option<(bool, Option<Line>)> {
        let parts: Vec<&str> = rel.split('/').collect();
        let case = self.repo.case;
        let mut negation = None;
        for depth in 1..=parts.len() {
            let is_dir = depth < parts.len();
            let path = parts[..depth].join("/");
            let mut decided = None;
            for up in (0..depth).rev() {
                let dir = parts[..up].join("/");
                decided = self
                    .gitignore(&dir)?
                    .as_ref()
                    .and_then(|list| matched(list, &path, is_dir, case));
                if decided.is_some() {
                    break;
                }
            }
            for list in [&self.exclude, &self.global] {
                if decided.is_none() {
                    decided = list
                        .as_ref()
                        .and_then(|list| matched(list, &path, is_dir, case));
                }
            }
            match decided {
                Some((true, _)) => return Some((true, None)),
                Some((false, line)) => negation = line.or(negation),
                None => {}
            }
        }
        Some((false, negation))
    }

    /// Answers as if the `.gitignore` in `dir` held `text` (a planned edit of it). A
    /// symlinked one stays unread, as git leaves it.
    fn overlay(&mut self, dir: &str, text: &str) -> Option<()> {
        let file = self.repo.top.join(dir).join(".gitignore");
        if fs::symlink_metadata(&file).is_ok_and(|m| m.is_symlink()) {
            return Some(());
        }
        let root = Some(self.repo.top.as_path());
        let list = List::from_bytes(text.as_bytes(), file, root, Ignore::default()).ok()?;
        self.per_dir.insert(dir.to_owned(), Some(list));
        Some(())
    }

    /// The `.gitignore` in `dir`. git does not follow a symlinked one (2.32+).
    fn gitignore(&mut self, dir: &str) -> Option<&Option<List<Ignore>>> {
        if !self.per_dir.contains_key(dir) {
            let file = self.repo.top.join(dir).join(".gitignore");
            let root = Some(self.repo.top.as_path());
            let list = List::from_file(file, root, false, &mut self.buf, Ignore::default()).ok()?;
            self.per_dir.insert(dir.to_owned(), list);
        }
        self.per_dir.get(dir)
    }
}

/// Whether the last pattern of `list` matching `path` ignores it (`false`: a negation
/// re-includes it), with its file and line number; `None`: no pattern matches.
fn matched(
    list: &List<Ignore>,
    path: &str,
    is_dir: bool,
    case: Case,
) -> Option<(bool, Option<Line>)> {
    let basename = path.rfind('/').map(|p| p + 1);
    gix_ignore::search::pattern_matching_relative_path(
        list,
        path.as_bytes().into(),
        basename,
        Some(is_dir),
        case,
    )
    .map(|m| {
        let line = m.source.map(|s| (s.to_path_buf(), m.sequence_number));
        (!m.pattern.is_negative(), line)
    })
}
