//! The Windows user environment (`HKCU\Environment`) behind a small trait: the real
//! registry on Windows, an in-memory store for tests. Only `apply` calls the writing
//! methods.

use std::collections::BTreeMap;
use std::io;

/// A value as found in `HKCU\Environment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// `REG_SZ`, the type a plain value such as an API key must have.
    Sz(String),
    /// Any other type, by its registry name (`REG_EXPAND_SZ`, `REG_BINARY`, …).
    Other(&'static str),
}

pub trait UserEnv {
    /// The value named `name` (names are case-insensitive, as in the registry).
    fn get(&self, name: &str) -> io::Result<Option<RegValue>>;
    /// Writes `name` as `REG_SZ`, creating the `Environment` key if it is missing.
    fn set(&mut self, name: &str, value: &str) -> io::Result<()>;
    fn delete(&mut self, name: &str) -> io::Result<()>;
    /// Tells running programs (Explorer above all) that the environment changed, so
    /// programs it starts from now on see it. Bounded: a hung window cannot stall us.
    fn broadcast(&mut self) -> io::Result<()>;
}

/// An in-memory `HKCU\Environment` for tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryUserEnv {
    pub values: BTreeMap<String, RegValue>,
    pub broadcasts: usize,
}

impl MemoryUserEnv {
    fn find(&self, name: &str) -> Option<&String> {
        self.values.keys().find(|k| k.eq_ignore_ascii_case(name))
    }
}

impl UserEnv for MemoryUserEnv {
    fn get(&self, name: &str) -> io::Result<Option<RegValue>> {
        Ok(self.find(name).map(|k| self.values[k].clone()))
    }

    fn set(&mut self, name: &str, value: &str) -> io::Result<()> {
        let key = self.find(name).cloned().unwrap_or_else(|| name.to_owned());
        self.values.insert(key, RegValue::Sz(value.to_owned()));
        Ok(())
    }

    fn delete(&mut self, name: &str) -> io::Result<()> {
        if let Some(key) = self.find(name).cloned() {
            self.values.remove(&key);
        }
        Ok(())
    }

    fn broadcast(&mut self) -> io::Result<()> {
        self.broadcasts += 1;
        Ok(())
    }
}

#[cfg(windows)]
pub use registry::RegistryUserEnv;

#[cfg(windows)]
mod registry {
    use std::io;

    use windows_registry::{CURRENT_USER, Type};
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        HWND_BROADCAST, SMTO_ABORTIFHUNG, SendMessageTimeoutW, WM_SETTINGCHANGE,
    };

    use super::{RegValue, UserEnv};

    const KEY: &str = "Environment";

    /// The real `HKCU\Environment`.
    pub struct RegistryUserEnv;

    fn io_err(e: windows_registry::Result<()>) -> io::Result<()> {
        e.map_err(|e| io::Error::other(e.message()))
    }

    impl UserEnv for RegistryUserEnv {
        fn get(&self, name: &str) -> io::Result<Option<RegValue>> {
            let Ok(key) = CURRENT_USER.open(KEY) else {
                return Ok(None);
            };
            let values = key.values().map_err(|e| io::Error::other(e.message()))?;
            for (found, value) in values {
                if !found.eq_ignore_ascii_case(name) {
                    continue;
                }
                return Ok(Some(match value.ty() {
                    Type::String => RegValue::Sz(
                        String::try_from(value).map_err(|e| io::Error::other(e.message()))?,
                    ),
                    Type::ExpandString => RegValue::Other("REG_EXPAND_SZ"),
                    Type::MultiString => RegValue::Other("REG_MULTI_SZ"),
                    Type::U32 => RegValue::Other("REG_DWORD"),
                    Type::U64 => RegValue::Other("REG_QWORD"),
                    Type::Bytes => RegValue::Other("REG_BINARY"),
                    Type::Other(_) => RegValue::Other("an unusual registry type"),
                }));
            }
            Ok(None)
        }

        fn set(&mut self, name: &str, value: &str) -> io::Result<()> {
            let key = CURRENT_USER
                .create(KEY)
                .map_err(|e| io::Error::other(e.message()))?;
            io_err(key.set_string(name, value))
        }

        fn delete(&mut self, name: &str) -> io::Result<()> {
            let key = CURRENT_USER
                .create(KEY)
                .map_err(|e| io::Error::other(e.message()))?;
            io_err(key.remove_value(name))
        }

        fn broadcast(&mut self) -> io::Result<()> {
            let what: Vec<u16> = "Environment\0".encode_utf16().collect();
            let mut result = 0usize;
            // SAFETY: `what` is a NUL-terminated wide string that outlives the call;
            // SMTO_ABORTIFHUNG with a 5 s timeout bounds how long a hung window can
            // hold us, which is the documented way to announce environment changes.
            unsafe {
                SendMessageTimeoutW(
                    HWND_BROADCAST,
                    WM_SETTINGCHANGE,
                    0,
                    what.as_ptr() as isize,
                    SMTO_ABORTIFHUNG,
                    5000,
                    &mut result,
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_like_the_registry() {
        let mut env = MemoryUserEnv::default();
        env.set("CodeLoop_Api_Key", "a").unwrap();
        env.set("CODELOOP_API_KEY", "b").unwrap();
        assert_eq!(env.values.len(), 1);
        assert_eq!(
            env.get("codeloop_api_key").unwrap(),
            Some(RegValue::Sz("b".into()))
        );
        env.delete("CODELOOP_API_KEY").unwrap();
        assert_eq!(env.get("CODELOOP_API_KEY").unwrap(), None);
    }
}
