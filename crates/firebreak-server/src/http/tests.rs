use super::*;

/// The document holds an operation for every API route: both come from
/// [`api_routes`]. `FIREBREAK_DUMP_OPENAPI=<file>` writes it out (to diff
/// it across changes).
#[test]
fn the_document_comes_from_the_routes() {
    let doc = openapi_document();
    let operations: usize = doc
        .paths
        .paths
        .values()
        .map(|item| {
            [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .iter()
                .filter(|op| op.is_some())
                .count()
        })
        .sum();
    assert!(operations >= 85, "{operations} operations");
    assert!(doc.paths.paths.contains_key("/api/v1/incidents"));
    assert!(doc.paths.paths.contains_key("/v2/enqueue"));
    if let Ok(path) = std::env::var("FIREBREAK_DUMP_OPENAPI") {
        let json = serde_json::to_string_pretty(&doc).expect("the document serialises");
        std::fs::write(path, json).expect("the dump is written");
    }
}
