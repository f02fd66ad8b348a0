//! Leaf: the pure text editors — JSONC (span-based, with exact reverses), TOML
//! (located by `toml_edit`, edited by splicing), YAML (located by its event parser,
//! edited by splicing) and the paired marker block of line-based files. Text in,
//! text out; they import nothing of the crate and never touch the file system.

pub mod block;
pub mod json;
pub mod jsonc;
pub mod toml;
pub mod yaml;

/// Why a text could not be edited. Positions are in the messages (`line:column: …`).
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Json(#[from] json::JsonError),
    #[error(transparent)]
    Block(#[from] block::BlockError),
    #[error(transparent)]
    Toml(#[from] toml::TomlError),
    #[error(transparent)]
    Yaml(#[from] yaml::YamlError),
    #[error(" {0}")]
    Shape(String),
}
