//! The web chat page at `/`: plain HTML, CSS and a JS module from `adapters/http/web/`, embedded
//! in the binary so it works on an offline LAN, served with an ETag and a strict
//! Content-Security-Policy (no inline script, nothing from another origin, no framing).
#![cfg(feature = "sdk")]

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file.
struct Asset {
    body: &'static str,
    content_type: &'static str,
}

const INDEX: Asset = Asset {
    body: include_str!("../web/index.html"),
    content_type: "text/html; charset=utf-8",
};
const SCRIPT: Asset = Asset {
    body: include_str!("../web/app.js"),
    content_type: "text/javascript; charset=utf-8",
};
const STYLE: Asset = Asset {
    body: include_str!("../web/style.css"),
    content_type: "text/css; charset=utf-8",
};
const ICON: Asset = Asset {
    body: include_str!("../web/icon.svg"),
    content_type: "image/svg+xml",
};

/// Everything the page may load comes from this server; it may not be framed.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The page's routes, merged into the API's router when `http.web_ui` is on.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|request: Request| async move { serve(&INDEX, request.headers()) }),
        )
        .route(
            "/assets/app.js",
            get(|request: Request| async move { serve(&SCRIPT, request.headers()) }),
        )
        .route(
            "/assets/style.css",
            get(|request: Request| async move { serve(&STYLE, request.headers()) }),
        )
        .route(
            "/assets/icon.svg",
            get(|request: Request| async move { serve(&ICON, request.headers()) }),
        )
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// A quoted FNV-1a hash of the body: stable for a build, different when the file changes.
fn etag(body: &str) -> String {
    format!("\"{:016x}\"", homelab_kit::fnv1a(body.bytes()))
}

fn serve(asset: &Asset, request: &HeaderMap) -> Response {
    let tag = etag(asset.body);
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    // Always revalidated: the ETag makes that a 304 without a body.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn get(path: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::builder().uri(path);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        routes::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn assets_have_their_types_an_etag_and_the_security_headers() {
        for (path, kind) in [
            ("/", "text/html"),
            ("/assets/app.js", "text/javascript"),
            ("/assets/style.css", "text/css"),
            ("/assets/icon.svg", "image/svg+xml"),
        ] {
            let response = get(path, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers();
            let content_type = headers[header::CONTENT_TYPE].to_str().unwrap();
            assert!(content_type.starts_with(kind), "{path}: {content_type}");
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
            assert!(!csp.contains("unsafe-inline"));
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            let tag = headers[header::ETAG].to_str().unwrap().to_owned();
            let again = get(path, Some(&tag)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_loads_nothing_from_elsewhere() {
        let page = INDEX.body;
        assert!(
            !page.contains("<script>") && !page.contains("style="),
            "inline code"
        );
        assert!(!page.contains("onclick") && !page.contains("onload"));
        for asset in [INDEX.body, SCRIPT.body, STYLE.body] {
            assert!(
                !asset.contains("http://") && !asset.contains("https://"),
                "remote URL"
            );
        }
        assert!(
            !SCRIPT.body.contains("innerHTML"),
            "answers are built from DOM nodes"
        );
    }

    #[test]
    fn assets_total_under_30_kb_gzipped() {
        // Plain size is an upper bound of the gzipped size.
        let total: usize = [INDEX.body, SCRIPT.body, STYLE.body, ICON.body]
            .iter()
            .map(|a| a.len())
            .sum();
        assert!(total < 30 * 1024, "{total} bytes");
    }
}
