//! Recognising framework debug pages, stack traces and version-announcing headers.

use crate::model::live::Hop;

/// Page fragments that only a framework's development error page prints, with the framework.
/// Each is specific enough that a production 404 page will not contain it by accident.
const DEBUG_PAGES: &[(&str, &str)] = &[
    (
        "You're seeing this error because you have <code>DEBUG = True</code>",
        "Django (DEBUG = True)",
    ),
    ("Using the URLconf defined in", "Django (DEBUG = True)"),
    ("Werkzeug Debugger", "Flask/Werkzeug debugger"),
    (
        "The debugger caught an exception in your WSGI application",
        "Flask/Werkzeug debugger",
    ),
    ("__debugger__", "Flask/Werkzeug debugger"),
    (
        "Action Controller: Exception caught",
        "Rails (development mode)",
    ),
    ("Rails.root:", "Rails (development mode)"),
    ("<h1>Routing Error</h1>", "Rails (development mode)"),
    ("Whoops! There was an error", "Laravel (APP_DEBUG=true)"),
    (
        "Symfony\\Component\\HttpKernel\\Exception",
        "Laravel/Symfony (debug mode)",
    ),
    ("Ignition\\", "Laravel Ignition (APP_DEBUG=true)"),
    (
        "Server Error in '/' Application",
        "ASP.NET (detailed errors)",
    ),
    (
        "Detailed Error Information",
        "ASP.NET / IIS (detailed errors)",
    ),
    (
        "DeveloperExceptionPage",
        "ASP.NET Core (Development environment)",
    ),
    (
        "Whitelabel Error Page",
        "Spring Boot (whitelabel error page)",
    ),
];

/// Lines that only appear in a stack trace, with the runtime they come from.
const STACK_TRACES: &[(&str, &str)] = &[
    ("Traceback (most recent call last)", "Python stack trace"),
    ("at org.springframework.", "Java stack trace"),
    ("\tat java.", "Java stack trace"),
    ("Exception in thread \"", "Java stack trace"),
    ("node_modules/express/lib/", "Express stack trace"),
    ("at Layer.handle [as handle_request]", "Express stack trace"),
    ("System.Web.HttpException", ".NET stack trace"),
    ("(ActionController::RoutingError)", "Rails stack trace"),
    ("Stack trace:\n#0 /", "PHP stack trace"),
];

/// The framework whose debug page or stack trace the body shows, if any.
pub fn recognise(body: &str) -> Option<String> {
    DEBUG_PAGES
        .iter()
        .chain(STACK_TRACES)
        .find(|(needle, _)| body.contains(needle))
        .map(|(_, what)| (*what).to_string())
}

/// Whether a Spring Boot actuator index answered: JSON with `_links` to its endpoints.
pub fn is_actuator_index(hop: &Hop, body: &str) -> bool {
    hop.status == 200 && body.contains("\"_links\"") && body.contains("actuator")
}

/// Headers that tell an attacker which framework (and often which version) runs the site.
pub fn version_headers(hop: &Hop) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in &hop.headers {
        let announces = match name.as_str() {
            "x-powered-by" | "x-aspnet-version" | "x-aspnetmvc-version" | "x-runtime-version" => {
                true
            }
            // A bare product name is common and harmless; a version number is what helps an attacker.
            "server" => value.contains('/') && value.bytes().any(|b| b.is_ascii_digit()),
            _ => false,
        };
        if announces {
            out.push(format!("{name}: {value}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_debug_pages_and_traces() {
        assert_eq!(
            recognise("<p>Using the URLconf defined in <code>mysite.urls</code></p>").as_deref(),
            Some("Django (DEBUG = True)")
        );
        assert_eq!(
            recognise("<h1>Whitelabel Error Page</h1>").as_deref(),
            Some("Spring Boot (whitelabel error page)")
        );
        assert!(recognise("Traceback (most recent call last):\n  File").is_some());
        assert_eq!(
            recognise("<h1>404 Not Found</h1><hr><center>nginx</center>"),
            None
        );
        assert_eq!(recognise("Cannot GET /nope"), None);
    }

    #[test]
    fn version_headers_need_a_version() {
        let hop = Hop {
            headers: vec![
                ("server".into(), "nginx".into()),
                ("x-powered-by".into(), "Express".into()),
            ],
            ..Hop::default()
        };
        assert_eq!(version_headers(&hop), ["x-powered-by: Express"]);
        let hop = Hop {
            headers: vec![("server".into(), "nginx/1.22.1".into())],
            ..Hop::default()
        };
        assert_eq!(version_headers(&hop), ["server: nginx/1.22.1"]);
    }
}
