//! The real `HKCU\Environment`, in the Windows build only. `scripts/wine-e2e.sh` runs
//! this test executable under wine after `codeloop.exe init` has set the key, with
//! `CODELOOP_API_KEY` holding that key.
#![cfg(windows)]

use codeloop::plan::user_env as planner;
use codeloop::sys::user_env::{RegValue, RegistryUserEnv, UserEnv};

#[allow(clippy::disallowed_methods)] // the harness hands the key it used to this process
fn written_key() -> String {
    std::env::var("CODELOOP_API_KEY").expect("the wine harness sets CODELOOP_API_KEY")
}

#[test]
fn the_reverse_edit_deletes_exactly_the_value_codeloop_wrote() {
    let key = written_key();
    let mut env = RegistryUserEnv;
    let path_before = env.get("PATH").unwrap();
    assert_eq!(
        env.get("CODELOOP_API_KEY").unwrap(),
        Some(RegValue::Sz(key.clone()))
    );

    // A value the user changed since is not ours to delete.
    assert!(!planner::remove(
        Some(&RegValue::Sz("cl_live_someoneElse1".into())),
        &key
    ));

    let current = env.get("CODELOOP_API_KEY").unwrap();
    assert!(planner::remove(current.as_ref(), &key));
    env.delete("CODELOOP_API_KEY").unwrap();
    env.broadcast().unwrap();

    assert_eq!(env.get("CODELOOP_API_KEY").unwrap(), None);
    assert_eq!(env.get("PATH").unwrap(), path_before, "PATH untouched");
}
