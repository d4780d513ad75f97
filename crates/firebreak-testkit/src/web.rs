//! The web pages over plain HTTP, without a browser: signing in, the
//! session cookie it sets, the CSRF token of a form, and posting forms.

use crate::app::TestApp;

/// An HTTP client that does not follow redirects, so tests see the `303`s
/// of sign-in and forms.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the sign-in form: `username`, `password` and, when given, `next`.
pub async fn post_login(
    app: &TestApp,
    http: &reqwest::Client,
    user: &str,
    password: &str,
    next: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("username", user), ("password", password)];
    if let Some(next) = next {
        form.push(("next", next));
    }
    http.post(format!("{}/login", app.url))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Posts a form of a signed-in session (its cookie) to `path`.
pub async fn post_form(
    app: &TestApp,
    http: &reqwest::Client,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http.post(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A page of a signed-in session (its cookie): the status and the text.
pub async fn page(
    app: &TestApp,
    http: &reqwest::Client,
    cookie: &str,
    path: &str,
) -> (u16, String) {
    let res = http
        .get(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), text_of_response(res).await)
}

/// Sends `req`; the answer's text, whatever its status.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    text_of_response(req.send().await.unwrap()).await
}

async fn text_of_response(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

/// The first cookie an answer sets, as `name=value`.
pub fn first_cookie(res: &reqwest::Response) -> String {
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The CSRF token of the first form in `html`.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}
