//! Customers, their contacts and components, and whom an incident affects.

use firebreak_api::customers::{
    AddCustomerContact, Component, CreateComponent, CreateCustomer, Customer, CustomerContactAdded,
    IncidentAffected, SetCustomerComponents, SetIncidentAffected, SetIncidentComponents,
    StatusLink, UpdateComponent, UpdateCustomer,
};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// `GET /api/v1/customers`.
    pub async fn customers(&self) -> Result<Vec<Customer>> {
        self.api_get(&["customers"]).await
    }

    /// `GET /api/v1/customers/{id}`.
    pub async fn customer(&self, id: i64) -> Result<Customer> {
        self.api_get(&["customers", &id.to_string()]).await
    }

    /// `POST /api/v1/customers` (admins and leads).
    pub async fn create_customer(&self, req: &CreateCustomer) -> Result<Customer> {
        self.api_post(&["customers"], req).await
    }

    /// `PATCH /api/v1/customers/{id}`.
    pub async fn update_customer(&self, id: i64, req: &UpdateCustomer) -> Result<Customer> {
        self.api_send(Method::PATCH, &["customers", &id.to_string()], req)
            .await
    }

    /// `DELETE /api/v1/customers/{id}`.
    pub async fn delete_customer(&self, id: i64) -> Result<()> {
        let segments = ["api", "v1", "customers", &id.to_string()];
        self.execute_empty(self.request(Method::DELETE, &segments)?)
            .await
    }

    /// `POST /api/v1/customers/{id}/contacts`: a generated webhook secret
    /// comes back this once.
    pub async fn add_customer_contact(
        &self,
        id: i64,
        req: &AddCustomerContact,
    ) -> Result<CustomerContactAdded> {
        self.api_post(&["customers", &id.to_string(), "contacts"], req)
            .await
    }

    /// `DELETE /api/v1/customers/{id}/contacts/{contact_id}`.
    pub async fn remove_customer_contact(&self, id: i64, contact_id: i64) -> Result<()> {
        let segments = [
            "api",
            "v1",
            "customers",
            &id.to_string(),
            "contacts",
            &contact_id.to_string(),
        ];
        self.execute_empty(self.request(Method::DELETE, &segments)?)
            .await
    }

    /// `PUT /api/v1/customers/{id}/components`: the whole set.
    pub async fn set_customer_components(&self, id: i64, ids: &[i64]) -> Result<Customer> {
        let req = SetCustomerComponents {
            component_ids: ids.to_vec(),
        };
        self.api_send(
            Method::PUT,
            &["customers", &id.to_string(), "components"],
            &req,
        )
        .await
    }

    /// `POST /api/v1/customers/{id}/status-link`: the URL, shown once.
    pub async fn new_customer_status_link(&self, id: i64) -> Result<StatusLink> {
        self.api_act(&["customers", &id.to_string(), "status-link"])
            .await
    }

    /// `GET /api/v1/components`.
    pub async fn components(&self) -> Result<Vec<Component>> {
        self.api_get(&["components"]).await
    }

    /// `POST /api/v1/components`.
    pub async fn create_component(&self, req: &CreateComponent) -> Result<Component> {
        self.api_post(&["components"], req).await
    }

    /// `PATCH /api/v1/components/{id}`.
    pub async fn update_component(&self, id: i64, req: &UpdateComponent) -> Result<Component> {
        self.api_send(Method::PATCH, &["components", &id.to_string()], req)
            .await
    }

    /// `GET /api/v1/incidents/{id}/affected`.
    pub async fn incident_affected(&self, id: i64) -> Result<IncidentAffected> {
        self.api_get(&["incidents", &id.to_string(), "affected"])
            .await
    }

    /// `PUT /api/v1/incidents/{id}/affected`.
    pub async fn set_incident_affected(
        &self,
        id: i64,
        req: &SetIncidentAffected,
    ) -> Result<IncidentAffected> {
        self.api_send(
            Method::PUT,
            &["incidents", &id.to_string(), "affected"],
            req,
        )
        .await
    }

    /// `PUT /api/v1/incidents/{id}/components`.
    pub async fn set_incident_components(
        &self,
        id: i64,
        req: &SetIncidentComponents,
    ) -> Result<IncidentAffected> {
        self.api_send(
            Method::PUT,
            &["incidents", &id.to_string(), "components"],
            req,
        )
        .await
    }
}
