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

/// A signed-in web session over plain HTTP: the client (no redirects
/// followed), the session cookie and the form token of its pages.
pub struct WebSession {
    pub http: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

impl WebSession {
    /// Signs `user` in (the sign-in must succeed) and reads the token.
    pub async fn sign_in(app: &TestApp, user: &str, password: &str) -> WebSession {
        let http = no_redirects();
        let res = post_login(app, &http, user, password, None).await;
        assert_eq!(res.status(), 303, "{user} signs in");
        let cookie = first_cookie(&res);
        WebSession::with_cookie(app, http, cookie).await
    }

    /// Signs `user` in if the server sets a session cookie.
    pub async fn try_sign_in(app: &TestApp, user: &str, password: &str) -> Option<WebSession> {
        let http = no_redirects();
        let res = post_login(app, &http, user, password, None).await;
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .find(|c| c.starts_with("fb_session="))
            .map(|c| c.split(';').next().unwrap().to_owned())?;
        Some(WebSession::with_cookie(app, http, cookie).await)
    }

    /// The admin a new install prints, signed in.
    pub async fn admin(app: &TestApp) -> WebSession {
        WebSession::sign_in(app, "admin", &app.admin_password).await
    }

    async fn with_cookie(app: &TestApp, http: reqwest::Client, cookie: String) -> WebSession {
        let (_, html) = page(app, &http, &cookie, "/incidents").await;
        WebSession {
            csrf: csrf_in(&html),
            http,
            cookie,
        }
    }

    /// Posts `fields` (and the token) to `path`: the status, where it
    /// redirects, and the answer's body.
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let res = self.send(app, path, fields).await;
        let status = res.status().as_u16();
        let location = location(&res);
        (status, location, res.text().await.unwrap())
    }

    /// [`WebSession::post`], but a redirect is followed with the one-time
    /// flash message it set: the third value is the page it leads to.
    pub async fn post_following(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let res = self.send(app, path, fields).await;
        let status = res.status().as_u16();
        let location = location(&res);
        let flash = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .find(|c| c.starts_with("fb_flash="))
            .map(|c| c.split(';').next().unwrap().to_owned());
        if status != 303 {
            return (status, location, res.text().await.unwrap());
        }
        let cookie = match flash {
            Some(f) => format!("{}; {f}", self.cookie),
            None => self.cookie.clone(),
        };
        let (_, html) = page(app, &self.http, &cookie, &location).await;
        (status, location, html)
    }

    /// Opens `path`: the status and the page.
    pub async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        page(app, &self.http, &self.cookie, path).await
    }

    async fn send(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        post_form(app, &self.http, &self.cookie, path, &form).await
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
