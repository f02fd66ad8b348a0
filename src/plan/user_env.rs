//! Pure planner for one value in the Windows user environment: set it as `REG_SZ`,
//! leave an equal one alone, refuse to change another type, and the reverse, which
//! deletes only the value codeloop wrote.

use crate::sys::user_env::RegValue;

pub const LOCATION: &str = "HKCU\\Environment";

/// The value to write, or `None` when `current` already holds `wanted`.
pub fn set(name: &str, current: Option<&RegValue>, wanted: &str) -> Result<Option<String>, String> {
    match current {
        Some(RegValue::Sz(v)) if v == wanted => Ok(None),
        None | Some(RegValue::Sz(_)) => Ok(Some(wanted.to_owned())),
        Some(RegValue::Other(kind)) => Err(format!(
            "{LOCATION}\\{name} is a {kind} value and codeloop will not change its type; delete it (Remove-ItemProperty HKCU:\\Environment {name}) and run again"
        )),
    }
}

/// Whether the reverse edit deletes the value: only while it still holds `written`.
pub fn remove(current: Option<&RegValue>, written: &str) -> bool {
    matches!(current, Some(RegValue::Sz(v)) if v == written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_changes_or_leaves_alone() {
        assert_eq!(set("K", None, "a"), Ok(Some("a".into())));
        assert_eq!(
            set("K", Some(&RegValue::Sz("old".into())), "a"),
            Ok(Some("a".into()))
        );
        assert_eq!(set("K", Some(&RegValue::Sz("a".into())), "a"), Ok(None));
    }

    #[test]
    fn refuses_to_change_the_type() {
        let err = set("K", Some(&RegValue::Other("REG_EXPAND_SZ")), "a").unwrap_err();
        assert!(
            err.contains("REG_EXPAND_SZ") && err.contains("HKCU\\Environment\\K"),
            "{err}"
        );
    }

    #[test]
    fn the_reverse_deletes_only_what_codeloop_wrote() {
        assert!(remove(Some(&RegValue::Sz("a".into())), "a"));
        assert!(!remove(Some(&RegValue::Sz("b".into())), "a"));
        assert!(!remove(Some(&RegValue::Other("REG_EXPAND_SZ")), "a"));
        assert!(!remove(None, "a"));
    }
}
