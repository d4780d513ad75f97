//! Intake administration: integrations and their keys, routing rules,
//! silences, maintenance windows, and the alerts received.

use firebreak_api::intake::SetAutoDeclare;
use reqwest::Method;

use crate::{
    AlertQuery, AlertView, Client, CreateIntegration, IntegrationCreated, IntegrationView,
    MaintenanceBody, MaintenanceView, Result, RuleBody, RuleView, SilenceBody, SilenceView,
};

impl Client {
    /// `GET /api/v1/intake/integrations` (admins).
    pub async fn integrations(&self) -> Result<Vec<IntegrationView>> {
        self.api_get(&["intake", "integrations"]).await
    }

    /// `POST /api/v1/intake/integrations` (admins): the answer holds the
    /// key, which is never shown again.
    pub async fn create_integration(&self, req: &CreateIntegration) -> Result<IntegrationCreated> {
        self.api_post(&["intake", "integrations"], req).await
    }

    /// `GET /api/v1/intake/integrations/{id}` (admins).
    pub async fn integration(&self, id: i64) -> Result<IntegrationView> {
        self.api_get(&["intake", "integrations", &id.to_string()])
            .await
    }

    /// `POST /api/v1/intake/integrations/{id}/rotate-key` (admins): a new
    /// key, shown this once; the old one stops working.
    pub async fn rotate_integration_key(&self, id: i64) -> Result<IntegrationCreated> {
        self.api_act(&["intake", "integrations", &id.to_string(), "rotate-key"])
            .await
    }

    /// `POST /api/v1/intake/integrations/{id}/auto-declare` (admins).
    pub async fn set_integration_auto_declare(
        &self,
        id: i64,
        auto_declare: bool,
    ) -> Result<IntegrationView> {
        let rest = ["intake", "integrations", &id.to_string(), "auto-declare"];
        self.api_post(&rest, &SetAutoDeclare { auto_declare }).await
    }

    /// `POST /api/v1/intake/integrations/{id}/disable` (admins): its key
    /// stops working; its alerts and reports stay.
    pub async fn disable_integration(&self, id: i64) -> Result<IntegrationView> {
        self.api_act(&["intake", "integrations", &id.to_string(), "disable"])
            .await
    }

    /// `GET /api/v1/intake/rules`: the routing rules, in `position` order.
    pub async fn rules(&self) -> Result<Vec<RuleView>> {
        self.api_get(&["intake", "rules"]).await
    }

    /// `POST /api/v1/intake/rules` (admins and leads).
    pub async fn create_rule(&self, req: &RuleBody) -> Result<RuleView> {
        self.api_post(&["intake", "rules"], req).await
    }

    /// `PUT /api/v1/intake/rules/{id}` (admins and leads): replaces the rule.
    pub async fn update_rule(&self, id: i64, req: &RuleBody) -> Result<RuleView> {
        self.api_send(Method::PUT, &["intake", "rules", &id.to_string()], req)
            .await
    }

    /// `DELETE /api/v1/intake/rules/{id}` (admins and leads).
    pub async fn delete_rule(&self, id: i64) -> Result<()> {
        let segments = ["api", "v1", "intake", "rules", &id.to_string()];
        self.execute_empty(self.request(Method::DELETE, &segments)?)
            .await
    }

    /// `GET /api/v1/intake/silences`: newest first.
    pub async fn silences(&self) -> Result<Vec<SilenceView>> {
        self.api_get(&["intake", "silences"]).await
    }

    /// `POST /api/v1/intake/silences`.
    pub async fn create_silence(&self, req: &SilenceBody) -> Result<SilenceView> {
        self.api_post(&["intake", "silences"], req).await
    }

    /// `POST /api/v1/intake/silences/{id}/expire`: ends it now.
    pub async fn expire_silence(&self, id: i64) -> Result<SilenceView> {
        self.api_act(&["intake", "silences", &id.to_string(), "expire"])
            .await
    }

    /// `GET /api/v1/intake/maintenance`: the maintenance windows.
    pub async fn maintenance_windows(&self) -> Result<Vec<MaintenanceView>> {
        self.api_get(&["intake", "maintenance"]).await
    }

    /// `POST /api/v1/intake/maintenance` (admins and leads).
    pub async fn create_maintenance(&self, req: &MaintenanceBody) -> Result<MaintenanceView> {
        self.api_post(&["intake", "maintenance"], req).await
    }

    /// `POST /api/v1/intake/maintenance/{id}/end` (admins and leads): ends
    /// it now.
    pub async fn end_maintenance(&self, id: i64) -> Result<MaintenanceView> {
        self.api_act(&["intake", "maintenance", &id.to_string(), "end"])
            .await
    }

    /// `GET /api/v1/intake/alerts`: alerts, newest first, of the reports you
    /// can see.
    pub async fn alerts(&self, query: &AlertQuery) -> Result<Vec<AlertView>> {
        self.api_query(&["intake", "alerts"], query).await
    }
}
