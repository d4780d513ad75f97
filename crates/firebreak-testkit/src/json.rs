//! Reading the JSON arrays that API answers and `--json` output hold.

use serde_json::Value;

/// The `key` string of every element of the array `list`.
pub fn strs_of<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e[key].as_str().unwrap())
        .collect()
}

/// The strings at `keys` of every element of the array `list`.
pub fn strs_at<'a, const N: usize>(list: &'a Value, keys: [&str; N]) -> Vec<[&'a str; N]> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| keys.map(|k| e[k].as_str().unwrap()))
        .collect()
}

/// Whether some element of the array `list` has `value` at `key`.
pub fn any_with<T>(list: &Value, key: &str, value: T) -> bool
where
    Value: PartialEq<T>,
{
    list.as_array().unwrap().iter().any(|e| e[key] == value)
}

/// The first element of the array `list` that has `value` at `key`.
pub fn find_with<T>(list: &Value, key: &str, value: T) -> Value
where
    Value: PartialEq<T>,
{
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("no element with that `{key}` in {list}"))
        .clone()
}
