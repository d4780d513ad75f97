//! The status page's feeds, Atom 1.0 and RSS 2.0: one entry per public
//! update, newest first, written by hand over escaped text (no XML
//! library needed for two fixed shapes).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::model::Page;

/// How many updates a feed carries.
pub const FEED_ENTRIES: usize = 50;

/// Text escaped for XML content and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

struct Entry<'a> {
    id: String,
    link: String,
    title: String,
    body: &'a str,
    at: DateTime<Utc>,
}

fn entries(p: &Page) -> Vec<Entry<'_>> {
    let mut all: Vec<Entry<'_>> = p
        .incidents
        .iter()
        .flat_map(|i| {
            i.updates.iter().map(move |u| Entry {
                id: format!("{}#update-{}", p.meta.url, u.id),
                link: format!("{}#incident-{}", p.meta.url, i.id),
                title: format!("{}: {}", u.status.label(), u.title),
                body: &u.body,
                at: u.at,
            })
        })
        .collect();
    all.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    all.truncate(FEED_ENTRIES);
    all
}

/// The Atom feed at `/status/feed.atom`.
pub fn atom(p: &Page) -> String {
    let mut s = String::new();
    let url = xml(&p.meta.url);
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{url}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{url}/feed.atom\"/>\n\
         <author><name>{}</name></author>\n",
        xml(&p.meta.name),
        p.updated_at.to_rfc3339(),
        xml(&p.meta.name),
    );
    for e in entries(p) {
        let _ = write!(
            s,
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <published>{}</published>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <content type=\"text\">{}</content>\n</entry>\n",
            xml(&e.id),
            xml(&e.title),
            e.at.to_rfc3339(),
            e.at.to_rfc3339(),
            xml(&e.link),
            xml(e.body),
        );
    }
    s.push_str("</feed>\n");
    s
}

/// The RSS 2.0 feed at `/status/feed.rss`.
pub fn rss(p: &Page) -> String {
    let mut s = String::new();
    let url = xml(&p.meta.url);
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{}</title>\n<link>{url}</link>\n<description>{}</description>\n\
         <lastBuildDate>{}</lastBuildDate>\n\
         <atom:link href=\"{url}/feed.rss\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        xml(&p.meta.name),
        xml(&format!("Incidents and updates of {}", p.meta.name)),
        p.updated_at.to_rfc2822(),
    );
    for e in entries(p) {
        let _ = write!(
            s,
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n\
             <pubDate>{}</pubDate>\n<description>{}</description>\n</item>\n",
            xml(&e.title),
            xml(&e.link),
            xml(&e.id),
            e.at.to_rfc2822(),
            xml(e.body),
        );
    }
    s.push_str("</channel>\n</rss>\n");
    s
}
