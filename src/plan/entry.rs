//! An MCP server entry, merged rather than replaced. Inside its `codeloop` entry
//! codeloop owns the launch fields (`command` and `args`, as one unit) and the key
//! holder (the key, or the client's reference to `CODELOOP_API_KEY`); every other
//! field (`disabled`, `autoApprove`, `timeout`, `tools`, extra `env` variables, `type`,
//! …) is the user's or the client's and is never touched. The forward edit returns the
//! record of what codeloop set (and what each field held before); the reverse reads
//! that record and puts back only what is still as codeloop left it.
//!
//! Pure: text in, text out, over the JSONC and TOML editors.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::edit::{EditError, json, toml, yaml};
use crate::record::{ChangeKind, Field, Format, Written, fingerprint};

/// What codeloop wants in one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySpec {
    pub format: Format,
    /// Where the entry lives, e.g. `["mcpServers", "codeloop"]`.
    pub path: Vec<String>,
    /// The entry written when there is none (launch fields, key holder, and the
    /// client's fixed fields such as VS Code's `"type": "stdio"`).
    pub fresh: Value,
    /// `command` and `args` (relative to the entry), owned as one unit.
    pub launch: Vec<(Vec<String>, Value)>,
    /// How the entry holds the key.
    pub key: KeyHolder,
    /// The other way of holding it, removed when codeloop wrote it (a committed file
    /// switching between the key and the reference).
    pub other: Option<KeyHolder>,
    /// What the client's JSON reader refuses (strict JSON: comments, trailing commas,
    /// a BOM): a file it could not load is refused, not edited.
    pub reader: json::Reader,
}

/// How an entry holds the key, relative to the entry.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyHolder {
    /// A string at `path`: the key itself (`secret`), or a reference the client
    /// expands (`${CODELOOP_API_KEY}`, `${env:CODELOOP_API_KEY}`).
    Value {
        path: Vec<String>,
        value: String,
        secret: bool,
    },
    /// A string in the array at `path`: Codex forwards the variables named in
    /// `env_vars`.
    Item { path: Vec<String>, item: String },
}

impl KeyHolder {
    fn path(&self) -> &[String] {
        match self {
            KeyHolder::Value { path, .. } | KeyHolder::Item { path, .. } => path,
        }
    }
}

/// Something worth telling about an entry the user has made their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The user pointed `command`/`args` elsewhere; codeloop kept them.
    KeptCustomCommand,
    /// The user disabled the server (`"disabled": true` / `enabled = false`).
    Disabled,
    /// The user holds the key through a reference of their own; codeloop kept it.
    KeptReference,
}

/// Whether a key field holds a reference the client expands (an environment
/// variable, an input prompt) rather than a key.
pub fn is_reference(value: &str) -> bool {
    !value.starts_with(crate::secret::PREFIX)
        && (value.contains("${") || value.contains("{env:") || value.starts_with('$'))
}

/// A forward edit: the new text (`None`: unchanged), the record of the entry after
/// it, and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub text: Option<String>,
    pub change: ChangeKind,
    pub notes: Vec<Note>,
}

fn strs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

fn joined(entry: &[String], field: &[String]) -> Vec<String> {
    entry.iter().chain(field).cloned().collect()
}

/// The value at `path` in a JSONC or TOML file.
pub fn get(format: Format, text: &str, path: &[String]) -> Result<Option<Value>, EditError> {
    let path = strs(path);
    Ok(match format {
        Format::Json => json::get(text, &path)?,
        Format::Toml => toml::get(text, &path)?,
        Format::Yaml => yaml::get(text, &path)?,
    })
}

/// Sets one value; the text and the containers it created.
fn set(
    format: Format,
    text: &str,
    path: &[String],
    value: &Value,
) -> Result<Option<(String, usize)>, EditError> {
    let path = strs(path);
    Ok(match format {
        Format::Json => json::set(Some(text), &path, value)?.map(|e| (e.text, e.created)),
        Format::Toml => toml::set_value(text, &path, value)?,
        Format::Yaml => yaml::set(Some(text), &path, value)?,
    })
}

fn remove(
    format: Format,
    text: &str,
    path: &[String],
    prune: usize,
) -> Result<Option<String>, EditError> {
    let path = strs(path);
    Ok(match format {
        Format::Json => json::remove(text, &path, prune)?,
        Format::Toml => toml::remove_value(text, &path, prune)?,
        Format::Yaml => yaml::remove(text, &path, prune)?,
    })
}

fn ensure_item(
    format: Format,
    text: &str,
    path: &[String],
    item: &str,
) -> Result<Option<(String, usize)>, EditError> {
    let path = strs(path);
    Ok(match format {
        Format::Json => {
            json::ensure_in_array(Some(text), &path, item)?.map(|e| (e.text, e.created))
        }
        Format::Toml => toml::ensure_in_array(text, &path, item)?,
        Format::Yaml => {
            return Err(EditError::Shape(format!(
                "`{}`: codeloop does not add items to YAML lists",
                path.join(".")
            )));
        }
    })
}

fn remove_item(
    format: Format,
    text: &str,
    path: &[String],
    item: &str,
    prune: usize,
) -> Result<Option<String>, EditError> {
    let path = strs(path);
    Ok(match format {
        Format::Json => json::remove_from_array(text, &path, item, prune)?,
        Format::Toml => toml::remove_from_array(text, &path, item, prune)?,
        Format::Yaml => None,
    })
}

/// Inserts the whole entry; the text and how many of its parents it created.
fn insert_entry(
    format: Format,
    current: Option<&str>,
    path: &[String],
    value: &Value,
) -> Result<(String, usize), EditError> {
    let p = strs(path);
    let out = match format {
        Format::Json => json::set(current, &p, value)?.map(|e| (e.text, e.created)),
        // A `[a.b]` header table: its parents exist through it and go with it.
        Format::Toml => toml::set(current, &p, value)?.map(|t| (t, 0)),
        Format::Yaml => yaml::set(current, &p, value)?,
    };
    Ok(out.expect("an absent entry is inserted"))
}

/// Removes the whole entry and the `prune` parents codeloop created, while empty.
fn remove_entry(
    format: Format,
    text: &str,
    path: &[String],
    prune: usize,
) -> Result<Option<String>, EditError> {
    let p = strs(path);
    Ok(match format {
        Format::Json => json::remove(text, &p, prune)?,
        // The first candidate is what `set` undoes: one separating blank line.
        Format::Toml => toml::remove(text, &p)?.into_iter().next(),
        Format::Yaml => yaml::remove(text, &p, prune)?,
    })
}

/// The launch fields as codeloop records them after writing `spec`, each with what it
/// held before codeloop first set it.
fn launch_fields(spec: &EntrySpec, prior: &[Field], entry: Option<&Value>) -> Vec<Field> {
    spec.launch
        .iter()
        .map(|(path, want)| Field {
            path: path.clone(),
            before: before_of(prior.iter().find(|f| f.path == *path), path, entry),
            written: Written::Value(want.clone()),
        })
        .collect()
}

/// What a field held before codeloop first set it: the earlier record's word, else
/// what the entry holds now.
fn before_of(prior: Option<&Field>, path: &[String], entry: Option<&Value>) -> Option<Value> {
    match prior {
        Some(f) => f.before.clone(),
        None => entry.and_then(|e| pointer(e, path)).cloned(),
    }
}

fn pointer<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.as_object()?.get(k))
}

fn key_field(holder: &KeyHolder, before: Option<Value>) -> Field {
    match holder {
        KeyHolder::Value {
            path,
            value,
            secret,
        } => Field {
            path: path.clone(),
            before,
            written: if *secret {
                Written::Key(fingerprint(value))
            } else {
                Written::Value(Value::String(value.clone()))
            },
        },
        KeyHolder::Item { path, item } => Field {
            path: path.clone(),
            before,
            written: Written::Item(item.clone()),
        },
    }
}

/// Whether `entry` holds `holder` as codeloop wants it.
fn holds(entry: &Value, holder: &KeyHolder) -> bool {
    match holder {
        KeyHolder::Value { path, value, .. } => {
            pointer(entry, path) == Some(&Value::String(value.clone()))
        }
        KeyHolder::Item { path, item } => pointer(entry, path)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(item))),
    }
}

/// The user switched the server off, in the client's own words.
pub fn disabled(entry: &Value) -> bool {
    entry.get("disabled") == Some(&Value::Bool(true))
        || entry.get("enabled") == Some(&Value::Bool(false))
}

/// Whether the entry's field still holds what codeloop wrote there.
fn still(field: &Field, entry: &Value) -> bool {
    field.written.matches(pointer(entry, &field.path))
}

/// The forward edit: makes the entry at `spec.path` hold codeloop's launch fields (if
/// they are codeloop's to set) and key holder, merging into an entry that is there.
/// `prior` is what the record says codeloop did to this entry before.
pub fn merge(
    current: Option<&str>,
    spec: &EntrySpec,
    prior: Option<&ChangeKind>,
) -> Result<Merged, EditError> {
    let (
        prior_added,
        prior_created,
        prior_launch,
        prior_key,
        prior_wrote,
        prior_fixed,
        mut empty_maps,
    ) = match prior {
        Some(ChangeKind::Entry {
            added,
            created_containers,
            launch,
            key,
            wrote,
            fixed,
            empty_maps,
            ..
        }) => (
            Some(*added),
            *created_containers,
            launch.as_slice(),
            Some(key),
            wrote.clone(),
            fixed.clone(),
            empty_maps.clone(),
        ),
        _ => (
            None,
            0,
            &[][..],
            None,
            Vec::new(),
            BTreeMap::new(),
            Vec::new(),
        ),
    };
    let entry = match current {
        Some(t) if spec.reader != json::Reader::Jsonc && spec.format == Format::Json => {
            let path: Vec<&str> = spec.path.iter().map(String::as_str).collect();
            json::get_for(t, &path, spec.reader)?
        }
        Some(t) => get(spec.format, t, &spec.path)?,
        None => None,
    };
    let Some(entry) = entry else {
        note_empty_map(spec.format, current, &spec.path, &mut empty_maps)?;
        let (out, created) = insert_entry(spec.format, current, &spec.path, &spec.fresh)?;
        return Ok(Merged {
            text: Some(out),
            change: ChangeKind::Entry {
                format: spec.format,
                path: spec.path.clone(),
                added: true,
                created_containers: created.max(prior_created),
                launch: launch_fields(spec, &[], None),
                key: key_field(&spec.key, None),
                wrote: spec
                    .fresh
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default(),
                fixed: fixed_fields(spec),
                empty_maps,
            },
            notes: Vec::new(),
        });
    };
    if !entry.is_object() {
        return Err(EditError::Shape(format!(
            "`{}` is not an object; fix it or delete it so codeloop can write its entry",
            spec.path.join(".")
        )));
    }
    let mut out = current.unwrap_or("").to_owned();
    let mut changed = false;
    let mut notes = Vec::new();

    // The launch fields, as one unit: codeloop's to set when they are absent, already
    // right, or exactly what codeloop wrote last; otherwise the user's.
    let absent = spec
        .launch
        .iter()
        .all(|(p, _)| pointer(&entry, p).is_none());
    let already = spec
        .launch
        .iter()
        .all(|(p, want)| pointer(&entry, p) == Some(want));
    let wrote_last = !prior_launch.is_empty()
        && spec.launch.iter().all(|(p, _)| {
            prior_launch
                .iter()
                .find(|f| f.path == *p)
                .is_some_and(|f| still(f, &entry))
        });
    let launch = if absent || already || wrote_last {
        for (path, want) in &spec.launch {
            if pointer(&entry, path) == Some(want) {
                continue;
            }
            let full = joined(&spec.path, path);
            note_empty_map(spec.format, Some(&out), &full, &mut empty_maps)?;
            if let Some((t, _)) = set(spec.format, &out, &full, want)? {
                out = t;
                changed = true;
            }
        }
        launch_fields(spec, prior_launch, Some(&entry))
    } else {
        notes.push(Note::KeptCustomCommand);
        Vec::new()
    };

    // The key holder is always codeloop's. When it moves (the key became a reference
    // or back), the old holder goes if it is still as codeloop wrote it.
    let key_path = spec.key.path();
    let same_holder = prior_key.filter(|k| k.path == key_path);
    let key_before = before_of(same_holder, key_path, Some(&entry));
    // The user replaced the key with a reference of their own (`${env:…}`,
    // `${input:…}`): a safer choice that codeloop keeps, unless codeloop wrote it.
    let their_reference = match (&spec.key, pointer(&entry, key_path)) {
        (KeyHolder::Value { secret: true, .. }, Some(Value::String(current))) => {
            is_reference(current) && !same_holder.is_some_and(|k| still(k, &entry))
        }
        _ => false,
    };
    if their_reference {
        notes.push(Note::KeptReference);
    } else if !holds(&entry, &spec.key) {
        let full = joined(&spec.path, key_path);
        note_empty_map(spec.format, Some(&out), &full, &mut empty_maps)?;
        let edited = match &spec.key {
            KeyHolder::Value { value, .. } => {
                set(spec.format, &out, &full, &Value::String(value.clone()))?
            }
            KeyHolder::Item { item, .. } => ensure_item(spec.format, &out, &full, item)?,
        };
        if let Some((t, _)) = edited {
            out = t;
            changed = true;
        }
    }
    if let Some(old) = prior_key.filter(|k| k.path != key_path)
        && still(old, &entry)
        && let Some(t) = undo_field(spec.format, &out, &spec.path, old, &empty_maps)?
    {
        out = t;
        changed = true;
    }

    if disabled(&entry) {
        notes.push(Note::Disabled);
    }
    Ok(Merged {
        text: changed.then_some(out),
        change: ChangeKind::Entry {
            format: spec.format,
            path: spec.path.clone(),
            added: prior_added.unwrap_or(false),
            created_containers: prior_created,
            launch,
            key: if their_reference {
                let current = pointer(&entry, key_path).cloned().unwrap_or(Value::Null);
                Field {
                    path: key_path.to_vec(),
                    before: key_before,
                    written: Written::Value(current),
                }
            } else {
                key_field(&spec.key, key_before)
            },
            wrote: prior_wrote,
            fixed: prior_fixed,
            empty_maps,
        },
        notes,
    })
}

/// The fields of a new entry that are neither launch fields nor the key holder's, with
/// the values codeloop gives them (Goose's `enabled: true` and `timeout: 300`).
fn fixed_fields(spec: &EntrySpec) -> BTreeMap<String, Value> {
    let ours = |k: &String| {
        spec.launch.iter().any(|(p, _)| p.first() == Some(k))
            || spec.key.path().first() == Some(k)
            || spec.other.as_ref().and_then(|o| o.path().first()) == Some(k)
    };
    spec.fresh
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !ours(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Notes the mapping an edit at `path` is about to write into when it is an empty
/// flow mapping `{}` in a YAML file (the closest ancestor that exists; the edit opens
/// it into a block mapping), so that the reverse can write it `{}` again.
fn note_empty_map(
    format: Format,
    text: Option<&str>,
    path: &[String],
    maps: &mut Vec<Vec<String>>,
) -> Result<(), EditError> {
    let (Format::Yaml, Some(text)) = (format, text) else {
        return Ok(());
    };
    for depth in (1..path.len()).rev() {
        let parent = &path[..depth];
        match get(format, text, parent)? {
            None => continue,
            Some(Value::Object(m)) if m.is_empty() && !maps.iter().any(|p| p == parent) => {
                maps.push(parent.to_vec());
            }
            Some(_) => {}
        }
        break;
    }
    Ok(())
}

/// Writes back as `{}` the mappings that were `{}` before codeloop wrote into them
/// and are empty again (deepest first).
fn close_empty_maps(
    format: Format,
    text: String,
    maps: &[Vec<String>],
) -> Result<String, EditError> {
    if format != Format::Yaml {
        return Ok(text);
    }
    let mut maps: Vec<&Vec<String>> = maps.iter().collect();
    maps.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let mut out = text;
    for p in maps {
        if let Some(t) = yaml::close_empty(&out, &strs(p))? {
            out = t;
        }
    }
    Ok(out)
}

/// Puts one field back as it was before codeloop set it.
fn undo_field(
    format: Format,
    text: &str,
    entry: &[String],
    field: &Field,
    empty_maps: &[Vec<String>],
) -> Result<Option<String>, EditError> {
    let full = joined(entry, &field.path);
    match (&field.written, &field.before) {
        // The array held the item before codeloop came: it stays.
        (Written::Item(item), Some(Value::Array(before)))
            if before.iter().any(|v| v.as_str() == Some(item.as_str())) =>
        {
            Ok(None)
        }
        // An item codeloop added: take it out; the array goes too if codeloop made it.
        (Written::Item(item), before) => {
            remove_item(format, text, &full, item, usize::from(before.is_none()))
        }
        // Absent before: remove it, and the tables on its path inside the entry (an
        // `env` that only held it) once they are empty — up to one that was there,
        // empty, before codeloop wrote into it.
        (_, None) => {
            let kept = (entry.len()..full.len())
                .rev()
                .find(|&d| empty_maps.iter().any(|p| *p == full[..d]));
            let prune = kept.map_or(field.path.len() - 1, |d| full.len() - 1 - d);
            remove(format, text, &full, prune)
        }
        (_, Some(before)) => Ok(set(format, text, &full, before)?.map(|(t, _)| t)),
    }
}

/// What the reverse edit did differently from what codeloop wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// codeloop's entry (its dotted path from the file's root) goes whole, and with
    /// it these changes of the user's inside it: fields added, fields codeloop set
    /// that now hold something else, variables added beside the key (dotted from the
    /// entry, in the entry's order).
    GoesWith { entry: String, theirs: Vec<String> },
    /// A field (dotted from the file's root) the user changed since codeloop wrote
    /// it: it stays as they left it.
    Changed(String),
    /// codeloop's entry stays: the user pointed its command elsewhere (only the key
    /// goes).
    Repointed(String),
}

/// The user's changes inside an entry codeloop added (see [`Kept::GoesWith`]).
/// `wrote` and `fixed` are empty in records that predate them: then only what the
/// key holder shows is told apart.
fn their_changes(
    entry: &Value,
    key: &Field,
    wrote: &[String],
    fixed: &BTreeMap<String, Value>,
) -> Vec<String> {
    let Some(fields) = entry.as_object() else {
        return Vec::new();
    };
    let mut theirs = Vec::new();
    for (name, value) in fields {
        if key.path.first() == Some(name) {
            match (&key.written, value, &key.path[1..]) {
                // Codex's `env_vars`: names forwarded beside CODELOOP_API_KEY.
                (Written::Item(item), Value::Array(items), _) => {
                    if items.iter().any(|i| i.as_str() != Some(item.as_str())) {
                        theirs.push(name.clone());
                    }
                }
                // `env`: variables added beside the key, and the key changed since.
                (_, Value::Object(vars), [var]) => {
                    theirs.extend(
                        vars.iter()
                            .filter(|(v, value)| *v != var || !key.written.matches(Some(value)))
                            .map(|(v, _)| format!("{name}.{v}")),
                    );
                }
                _ => {
                    if !key.written.matches(Some(value)) {
                        theirs.push(name.clone());
                    }
                }
            }
        } else if let Some(set) = fixed.get(name) {
            if set != value {
                theirs.push(name.clone());
            }
        } else if !wrote.is_empty() && !wrote.contains(name) {
            theirs.push(name.clone());
        }
    }
    theirs
}

/// The reverse edit of a recorded entry change: the whole entry goes when codeloop
/// added it (and its parents codeloop created, while empty), unless the user has
/// since pointed its command elsewhere; fields merged into the user's own entry go
/// back to what they held before. Anything the user changed since codeloop wrote it
/// stays, and is listed; what of the user's goes with codeloop's entry is listed too.
pub fn unmerge(
    current: &str,
    change: &ChangeKind,
) -> Result<(Option<String>, Vec<Kept>), EditError> {
    let ChangeKind::Entry {
        format,
        path,
        added,
        created_containers,
        launch,
        key,
        wrote,
        fixed,
        empty_maps,
    } = change
    else {
        return Ok((None, Vec::new()));
    };
    let Some(entry) = get(*format, current, path)? else {
        return Ok((None, Vec::new()));
    };
    let launch_ours = !launch.is_empty() && launch.iter().all(|f| still(f, &entry));
    if *added && launch_ours {
        // codeloop's entry goes whole (a server without its command would be
        // broken); what the user changed or added inside it is named.
        let theirs = their_changes(&entry, key, wrote, fixed);
        let kept = if theirs.is_empty() {
            Vec::new()
        } else {
            vec![Kept::GoesWith {
                entry: path.join("."),
                theirs,
            }]
        };
        let out = remove_entry(*format, current, path, *created_containers)?
            .map(|t| close_empty_maps(*format, t, empty_maps))
            .transpose()?;
        return Ok((out, kept));
    }
    let mut out = current.to_owned();
    let mut changed = false;
    let mut kept = Vec::new();
    let fields: Vec<&Field> = if *added {
        vec![key]
    } else {
        launch.iter().chain([key]).collect()
    };
    for field in fields {
        if still(field, &entry) {
            if let Some(t) = undo_field(*format, &out, path, field, empty_maps)? {
                out = t;
                changed = true;
            }
        } else if pointer(&entry, &field.path).is_some() {
            kept.push(Kept::Changed(joined(path, &field.path).join(".")));
        }
    }
    if *added && !launch_ours {
        kept.push(Kept::Repointed(path.join(".")));
    }
    if changed {
        out = close_empty_maps(*format, out, empty_maps)?;
    }
    Ok((changed.then_some(out), kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "cl_live_AAAAaaaa1111";
    const KEY2: &str = "cl_live_BBBBbbbb2222";

    fn spec(key: &str) -> EntrySpec {
        EntrySpec {
            format: Format::Json,
            path: vec!["mcpServers".into(), "codeloop".into()],
            fresh: json!({"command": "npx", "args": ["-y", "codeloop-mcp-server"], "env": {"CODELOOP_API_KEY": key}}),
            launch: vec![
                (vec!["command".into()], json!("npx")),
                (vec!["args".into()], json!(["-y", "codeloop-mcp-server"])),
            ],
            key: KeyHolder::Value {
                path: vec!["env".into(), "CODELOOP_API_KEY".into()],
                value: key.into(),
                secret: true,
            },
            other: None,
            reader: json::Reader::Jsonc,
        }
    }

    fn apply(text: Option<&str>, key: &str, prior: Option<&ChangeKind>) -> (String, ChangeKind) {
        let m = merge(text, &spec(key), prior).unwrap();
        (
            m.text.unwrap_or_else(|| text.unwrap_or("").to_owned()),
            m.change,
        )
    }

    #[test]
    fn a_new_entry_is_added_and_its_reverse_gives_the_bytes_back() {
        let original =
            "{\n  // mine\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\"}\n  }\n}\n";
        let (out, change) = apply(Some(original), KEY, None);
        let (again, change2) = apply(Some(&out), KEY, Some(&change));
        assert_eq!(again, out, "second run is a no-op");
        assert_eq!(change2, change);
        let (back, kept) = unmerge(&out, &change).unwrap();
        assert_eq!(back.as_deref(), Some(original));
        assert!(kept.is_empty());
    }

    #[test]
    fn a_key_change_touches_only_the_key_and_the_reverse_still_restores() {
        let original = "{\"mcpServers\": {}}\n";
        let (a, change) = apply(Some(original), KEY, None);
        let (b, change) = apply(Some(&a), KEY2, Some(&change));
        assert_eq!(b, a.replace(KEY, KEY2));
        assert_eq!(unmerge(&b, &change).unwrap().0.as_deref(), Some(original));
    }

    #[test]
    fn the_users_own_fields_survive_and_an_equal_entry_is_already_configured() {
        let original = format!(
            "{{\"mcpServers\": {{\"codeloop\": {{\"type\": \"stdio\", \"command\": \"npx\", \"args\": [\"-y\", \"codeloop-mcp-server\"], \"env\": {{\"CODELOOP_API_KEY\": \"{KEY}\", \"DEBUG\": \"1\"}}, \"disabledTools\": [\"x\"]}}}}}}"
        );
        let m = merge(Some(&original), &spec(KEY), None).unwrap();
        assert_eq!(m.text, None, "already configured");
        let m = merge(Some(&original), &spec(KEY2), None).unwrap();
        let out = m.text.unwrap();
        assert_eq!(out, original.replace(KEY, KEY2));
        // The entry was the user's: the reverse puts their key back, nothing else.
        let (back, _) = unmerge(&out, &m.change).unwrap();
        assert_eq!(back.as_deref(), Some(original.as_str()));
    }

    #[test]
    fn a_custom_command_is_kept_and_only_the_key_changes() {
        let original = "{\"mcpServers\": {\"codeloop\": {\"command\": \"node\", \"args\": [\"/src/server.js\"], \"disabled\": true}}}";
        let m = merge(Some(original), &spec(KEY), None).unwrap();
        assert_eq!(m.notes, vec![Note::KeptCustomCommand, Note::Disabled]);
        let out = m.text.unwrap();
        assert_eq!(
            json::get(&out, &["mcpServers", "codeloop", "command"]).unwrap(),
            Some(json!("node"))
        );
        assert_eq!(
            json::get(&out, &["mcpServers", "codeloop", "disabled"]).unwrap(),
            Some(json!(true))
        );
        let (back, _) = unmerge(&out, &m.change).unwrap();
        assert_eq!(back.as_deref(), Some(original));
    }

    #[test]
    fn what_codeloop_wrote_it_may_update_and_what_the_user_changed_it_keeps() {
        let (a, change) = apply(None, KEY, None);
        let older = spec(KEY);
        let mut newer = older.clone();
        newer.launch[1].1 = json!(["-y", "codeloop-mcp-server@2"]);
        let m = merge(Some(&a), &newer, Some(&change)).unwrap();
        assert!(m.notes.is_empty(), "codeloop's own args are updated");
        assert!(m.text.unwrap().contains("codeloop-mcp-server@2"));
        // The user points the command at a local build: uninstall keeps the entry,
        // removes the key, and says so.
        let custom = a.replace("\"npx\"", "\"/usr/local/bin/codeloop-dev\"");
        let (out, kept) = unmerge(&custom, &change).unwrap();
        let out = out.unwrap();
        assert!(!out.contains(KEY) && out.contains("codeloop-dev"), "{out}");
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn the_users_changes_inside_codeloops_entry_go_with_it_and_are_named() {
        let mut with_fixed = spec(KEY);
        with_fixed.fresh["enabled"] = json!(true);
        with_fixed.fresh["timeout"] = json!(300);
        let m = merge(None, &with_fixed, None).unwrap();
        let out = m.text.unwrap();
        let ChangeKind::Entry { fixed, .. } = &m.change else {
            unreachable!()
        };
        assert_eq!(
            fixed,
            &BTreeMap::from([
                ("enabled".to_owned(), json!(true)),
                ("timeout".to_owned(), json!(300)),
            ])
        );
        // Untouched: it goes, with nothing to name.
        let (back, kept) = unmerge(&out, &m.change).unwrap();
        assert_eq!((back.as_deref(), kept), (Some(""), vec![]));
        // Switched off, a longer timeout left alone, tools added, a variable beside
        // the key, and another key in codeloop's place.
        let theirs = out
            .replace("\"enabled\": true", "\"enabled\": false")
            .replace(
                "\"timeout\": 300",
                "\"timeout\": 300,\n      \"tools\": [\"a\"]",
            )
            .replace(KEY, KEY2)
            .replace(
                "\"CODELOOP_API_KEY\"",
                "\"CODELOOP_LOG\": \"1\",\n        \"CODELOOP_API_KEY\"",
            );
        let (back, kept) = unmerge(&theirs, &m.change).unwrap();
        assert_eq!(back.as_deref(), Some(""), "the entry goes whole");
        assert_eq!(
            kept,
            vec![Kept::GoesWith {
                entry: "mcpServers.codeloop".into(),
                // In the entry's order.
                theirs: vec![
                    "env.CODELOOP_LOG".into(),
                    "env.CODELOOP_API_KEY".into(),
                    "enabled".into(),
                    "tools".into(),
                ],
            }]
        );
        // A record from before codeloop kept the values: only additions are named.
        let mut older = m.change.clone();
        if let ChangeKind::Entry { fixed, .. } = &mut older {
            fixed.clear();
        }
        let (_, kept) = unmerge(&theirs, &older).unwrap();
        assert!(
            matches!(&kept[..], [Kept::GoesWith { theirs, .. }] if !theirs.contains(&"enabled".to_owned())),
            "{kept:?}"
        );
    }

    #[test]
    fn names_forwarded_beside_codeloops_go_with_its_entry_and_are_named() {
        let forward = EntrySpec {
            format: Format::Toml,
            path: vec!["mcp_servers".into(), "codeloop".into()],
            fresh: json!({"command": "npx", "args": ["-y", "codeloop-mcp-server"], "env_vars": ["CODELOOP_API_KEY"]}),
            key: KeyHolder::Item {
                path: vec!["env_vars".into()],
                item: "CODELOOP_API_KEY".into(),
            },
            ..spec(KEY)
        };
        let m = merge(None, &forward, None).unwrap();
        let out = m.text.unwrap();
        assert_eq!(unmerge(&out, &m.change).unwrap().1, vec![]);
        let theirs = out.replace(
            "[\"CODELOOP_API_KEY\"]",
            "[\"CODELOOP_API_KEY\", \"GITHUB_TOKEN\"]\nenabled = false",
        );
        let (back, kept) = unmerge(&theirs, &m.change).unwrap();
        assert_eq!(back.as_deref(), Some(""));
        assert_eq!(
            kept,
            vec![Kept::GoesWith {
                entry: "mcp_servers.codeloop".into(),
                theirs: vec!["env_vars".into(), "enabled".into()],
            }]
        );
    }

    #[test]
    fn a_created_file_goes_back_to_nothing() {
        let (out, change) = apply(None, KEY, None);
        assert_eq!(unmerge(&out, &change).unwrap().0.as_deref(), Some(""));
    }

    #[test]
    fn toml_entries_merge_field_by_field() {
        let toml_spec = |key: &str| EntrySpec {
            format: Format::Toml,
            path: vec!["mcp_servers".into(), "codeloop".into()],
            ..spec(key)
        };
        let original = "[mcp_servers.codeloop]\ncommand = \"npx\"\nargs = [\"-y\", \"codeloop-mcp-server\"]\nstartup_timeout_sec = 30\n\n[mcp_servers.codeloop.tools.search]\napproval = \"never\"\n";
        let m = merge(Some(original), &toml_spec(KEY), None).unwrap();
        let out = m.text.unwrap();
        assert!(
            out.contains("startup_timeout_sec = 30\nenv = { CODELOOP_API_KEY = "),
            "{out}"
        );
        assert!(out.ends_with("[mcp_servers.codeloop.tools.search]\napproval = \"never\"\n"));
        let m2 = merge(Some(&out), &toml_spec(KEY2), Some(&m.change)).unwrap();
        let out2 = m2.text.unwrap();
        assert_eq!(out2, out.replace(KEY, KEY2));
        assert_eq!(
            unmerge(&out2, &m2.change).unwrap().0.as_deref(),
            Some(original)
        );
    }

    #[test]
    fn switching_to_the_forwarded_variable_removes_the_key_codeloop_wrote() {
        let toml_spec = |holder: KeyHolder, other: KeyHolder| EntrySpec {
            format: Format::Toml,
            path: vec!["mcp_servers".into(), "codeloop".into()],
            key: holder,
            other: Some(other),
            ..spec(KEY)
        };
        let key = KeyHolder::Value {
            path: vec!["env".into(), "CODELOOP_API_KEY".into()],
            value: KEY.into(),
            secret: true,
        };
        let forward = KeyHolder::Item {
            path: vec!["env_vars".into()],
            item: "CODELOOP_API_KEY".into(),
        };
        let m = merge(None, &toml_spec(key.clone(), forward.clone()), None).unwrap();
        let a = m.text.unwrap();
        let m2 = merge(Some(&a), &toml_spec(forward, key), Some(&m.change)).unwrap();
        let b = m2.text.unwrap();
        assert!(
            !b.contains(KEY) && b.contains("env_vars = [\"CODELOOP_API_KEY\"]"),
            "{b}"
        );
        assert_eq!(unmerge(&b, &m2.change).unwrap().0.as_deref(), Some(""));
    }

    fn goose(key: &str) -> EntrySpec {
        EntrySpec {
            format: Format::Yaml,
            path: vec!["extensions".into(), "codeloop".into()],
            fresh: json!({"enabled": true, "type": "stdio", "name": "codeloop", "cmd": "npx", "args": ["-y", "codeloop-mcp-server"], "envs": {"CODELOOP_API_KEY": key}}),
            launch: vec![
                (vec!["cmd".into()], json!("npx")),
                (vec!["args".into()], json!(["-y", "codeloop-mcp-server"])),
            ],
            key: KeyHolder::Value {
                path: vec!["envs".into(), "CODELOOP_API_KEY".into()],
                value: key.into(),
                secret: true,
            },
            other: None,
            reader: json::Reader::Jsonc,
        }
    }

    #[test]
    fn goose_empty_maps_are_written_into_and_given_back_as_they_were() {
        // What Goose writes: `extensions: {}` once its last extension is removed, and
        // `envs: {}` in an extension added through `goose configure`.
        let emptied = "GOOSE_MODEL: gpt-4o\nextensions: {}\n";
        let own = "extensions:\n  codeloop:\n    args:\n    - -y\n    - codeloop-mcp-server\n    cmd: npx\n    enabled: true\n    env_keys: []\n    envs: {}\n    name: codeloop\n    timeout: 300\n    type: stdio\n";
        let bare = "extensions:\n  codeloop: {} # to fill in\n";
        for original in [emptied, own, bare] {
            let m = merge(Some(original), &goose(KEY), None).unwrap();
            let out = m.text.unwrap();
            assert_eq!(
                yaml::get(&out, &["extensions", "codeloop", "envs"]).unwrap(),
                Some(json!({"CODELOOP_API_KEY": KEY})),
                "{out}"
            );
            let again = merge(Some(&out), &goose(KEY), Some(&m.change)).unwrap();
            assert_eq!(again.text, None, "a second run changes nothing");
            assert_eq!(again.change, m.change);
            // A new key, then the reverse: the bytes come back.
            let m2 = merge(Some(&out), &goose(KEY2), Some(&m.change)).unwrap();
            let out2 = m2.text.unwrap();
            assert_eq!(out2, out.replace(KEY, KEY2));
            let (back, kept) = unmerge(&out2, &m2.change).unwrap();
            assert_eq!(back.as_deref(), Some(original), "from {out2}");
            assert!(kept.is_empty(), "{kept:?}");
        }
        // Another extension added since stays, and `extensions` is not `{}` then.
        let m = merge(Some(emptied), &goose(KEY), None).unwrap();
        let out = m.text.unwrap().replace(
            "extensions:\n",
            "extensions:\n  developer:\n    enabled: true\n",
        );
        let (back, _) = unmerge(&out, &m.change).unwrap();
        assert_eq!(
            back.as_deref(),
            Some("GOOSE_MODEL: gpt-4o\nextensions:\n  developer:\n    enabled: true\n")
        );
        // An `envs:` codeloop made goes with the key; one the user had stays `{}`.
        let m = merge(Some(own), &goose(KEY), None).unwrap();
        let ChangeKind::Entry { empty_maps, .. } = &m.change else {
            unreachable!()
        };
        assert_eq!(
            empty_maps,
            &vec![vec![
                "extensions".to_owned(),
                "codeloop".to_owned(),
                "envs".to_owned()
            ]]
        );
    }
}
