//! Markdown written by people (runbooks) as HTML a page can show: rendered
//! with pulldown-cmark, then sanitised with ammonia, so no script, event
//! handler, style or foreign frame gets through, and links open without
//! handing over the page (`rel="noopener noreferrer"`).

use pulldown_cmark::{Options, Parser, html};

/// How much Markdown is rendered at most; a longer text is cut there (the
/// rest is not lost, only not shown as HTML).
pub const MAX_MARKDOWN: usize = 64 * 1024;

/// Safe HTML for `text`.
pub fn to_safe_html(text: &str) -> String {
    let text = match text.char_indices().nth(MAX_MARKDOWN) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut out = String::with_capacity(text.len() * 2);
    html::push_html(&mut out, Parser::new_ext(text, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_renders() {
        let html = to_safe_html(
            "# Restart\n\n1. `systemctl restart api`\n2. **check** [dash](https://grafana.example/d/1)\n",
        );
        assert!(html.contains("<h1>Restart</h1>"), "{html}");
        assert!(
            html.contains("<code>systemctl restart api</code>"),
            "{html}"
        );
        assert!(html.contains("<strong>check</strong>"), "{html}");
        assert!(
            html.contains(r#"href="https://grafana.example/d/1""#) && html.contains("noopener"),
            "{html}"
        );
    }

    #[test]
    fn script_and_handlers_do_not_get_through() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"position:fixed\">x</div>",
        ] {
            let html = to_safe_html(evil);
            for bad in ["<script", "onerror", "javascript:", "<iframe", "style="] {
                assert!(!html.contains(bad), "{evil} -> {html}");
            }
        }
    }

    #[test]
    fn long_text_is_cut() {
        let html = to_safe_html(&"a".repeat(super::MAX_MARKDOWN * 2));
        assert!(html.len() < super::MAX_MARKDOWN + 100);
    }
}
