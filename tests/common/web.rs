//! Pages read over HTTP by tests that reach a server by its address (a
//! started `tipdesk serve`, or a `TestApp`'s client): the steps every such
//! test repeats, in one place.

/// The body of the answer to `request`, as text. Panics when the request
/// cannot be sent or the body read: the test has nothing to look at then.
/// The status is not checked; a test that cares reads the page.
pub async fn text_of(request: reqwest::RequestBuilder) -> String {
    request
        .send()
        .await
        .expect("the request is answered")
        .text()
        .await
        .expect("the body reads as text")
}

/// The value of the page's `<input name="NAME">` (a form's hidden token,
/// as a browser would send it back), read from the parsed HTML. Panics
/// when the page has no such input.
pub fn input_value(html: &str, name: &str) -> String {
    let css = format!("input[name=\"{name}\"]");
    let selector = scraper::Selector::parse(&css).expect("a valid selector");
    scraper::Html::parse_document(html)
        .select(&selector)
        .find_map(|input| input.attr("value").map(str::to_owned))
        .unwrap_or_else(|| panic!("no <input name=\"{name}\"> with a value in:\n{html}"))
}

/// Signs in to the desk at `base` through its sign-in form, as a browser
/// does: the form's CSRF token (in a cookie `client` must keep, and in the
/// form), then the email and password. Returns the answer to the POST:
/// the desk, the code page of a second factor, or a refusal.
#[allow(dead_code)] // not every test binary signs in
pub async fn desk_login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = text_of(client.get(format!("{base}/desk/login"))).await;
    let csrf = input_value(&page, "csrf_token");
    client
        .post(format!("{base}/desk/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .expect("the sign-in is answered")
}
