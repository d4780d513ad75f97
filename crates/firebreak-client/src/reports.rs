//! Reports: submitting them, the triage queue, and triaging a report
//! (declaring, linking or dismissing it).

use firebreak_api::{
    DeclareFromReport, DismissReport, Incident, LinkReport, NewReport, Report, ReportFilter,
};

use crate::{Client, Result};

impl Client {
    /// `GET /api/v1/reports`: the triage queue, or reports by status.
    pub async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>> {
        self.api_query(&["reports"], filter).await
    }

    /// `POST /api/v1/reports`.
    pub async fn submit_report(&self, req: &NewReport) -> Result<Report> {
        self.api_post(&["reports"], req).await
    }

    /// `GET /api/v1/reports/{id}`.
    pub async fn report(&self, id: i64) -> Result<Report> {
        self.api_get(&["reports", &id.to_string()]).await
    }

    /// `POST /api/v1/reports/{id}/declare`: declares an incident from it.
    pub async fn declare_report(&self, id: i64, req: &DeclareFromReport) -> Result<Incident> {
        self.api_post(&["reports", &id.to_string(), "declare"], req)
            .await
    }

    /// `POST /api/v1/reports/{id}/link`.
    pub async fn link_report(&self, id: i64, req: &LinkReport) -> Result<Report> {
        self.api_post(&["reports", &id.to_string(), "link"], req)
            .await
    }

    /// `POST /api/v1/reports/{id}/dismiss`.
    pub async fn dismiss_report(&self, id: i64, req: &DismissReport) -> Result<Report> {
        self.api_post(&["reports", &id.to_string(), "dismiss"], req)
            .await
    }
}
