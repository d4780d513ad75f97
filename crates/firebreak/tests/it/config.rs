//! The config file: unknown keys are refused, by name.

use crate::support::run;
use firebreak_testkit::assert_contains;

#[test]
fn an_unknown_config_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("firebreak.toml");
    let data_dir = dir.path().join("data");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\ndatabse_url = \"sqlite:x.db\"\n",
            data_dir
        ),
    )
    .unwrap();
    let r = run(&["migrate", "--config", config.to_str().unwrap()]);
    assert_ne!(r.code, Some(0), "{}", r.stdout);
    assert!(r.stderr.contains("databse_url"), "{}", r.stderr);
    assert!(
        !data_dir.exists(),
        "nothing is created from a config that was refused"
    );

    // The same file without the typo works, and puts the database where it says.
    std::fs::write(&config, format!("data_dir = {:?}\n", data_dir)).unwrap();
    let out = run(&["migrate", "--config", config.to_str().unwrap()]).ok();
    assert_contains(&out, "up to date");
    assert!(data_dir.join("firebreak.db").is_file());
}
