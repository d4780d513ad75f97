//! Assertions tests repeat about text (a page, a command's output, a
//! mail), each showing the whole text when it fails.

/// Asserts that `haystack` contains `needle`.
#[track_caller]
pub fn assert_contains(haystack: impl AsRef<str>, needle: impl AsRef<str>) {
    let (haystack, needle) = (haystack.as_ref(), needle.as_ref());
    assert!(
        haystack.contains(needle),
        "`{needle}` missing from:\n{haystack}"
    );
}

/// Asserts that `haystack` does not contain `needle`.
#[track_caller]
pub fn assert_lacks(haystack: impl AsRef<str>, needle: impl AsRef<str>) {
    let (haystack, needle) = (haystack.as_ref(), needle.as_ref());
    assert!(
        !haystack.contains(needle),
        "`{needle}` unexpected in:\n{haystack}"
    );
}
