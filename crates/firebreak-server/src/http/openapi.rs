//! The OpenAPI document of the JSON API. Its operations come from the
//! routes themselves (each feature's `api::routes()`, gathered in
//! [`super::api_routes`]); this module adds the title, the security schemes
//! and the problem schema.

use utoipa::OpenApi;

use firebreak_api::Problem;

#[derive(OpenApi)]
#[openapi(
    info(title = "Firebreak API", description = "Incident response: reports, triage, incidents, gates, timelines, and intake from monitoring tools, PagerDuty clients and e-mail."),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The intake endpoints that tools call take an integration key, not
        // a user token, as their bearer credential (or in the path).
        components.add_security_scheme(
            "integration_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An intake integration's key (32 letters and digits), shown once when \
                         the integration is created or its key rotated. Not a user token.",
                    ))
                    .build(),
            ),
        );
    }
}
