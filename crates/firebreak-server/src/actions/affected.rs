//! Whom an incident affects: the mode and customers, and the components
//! with the state the incident gives them. Whoever may change the incident
//! (`respond`) may set them; an incident the caller cannot see is missing.
//! The store writes the timeline event and the audit entry with the change.

use firebreak_api::customers::{
    AffectedMode, ComponentStatus, IncidentAffected, SetIncidentAffected, SetIncidentComponents,
};
use firebreak_core::auth::Action;

use super::Ctx;
use crate::error::ApiError;

/// Whom incident `id` affects, if the caller may see the incident.
pub async fn affected(cx: &Ctx<'_>, id: i64) -> Result<IncidentAffected, ApiError> {
    cx.incident(id).await?;
    Ok(cx.store.incident_affected(id).await?)
}

/// Sets the mode and, with mode `customers`, the customers (each must
/// exist; 422 naming `customer_ids` otherwise).
pub async fn set_affected(
    cx: &Ctx<'_>,
    id: i64,
    req: &SetIncidentAffected,
) -> Result<IncidentAffected, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let ids = match (req.mode, &req.customer_ids) {
        (AffectedMode::Customers, Some(ids)) => ids.clone(),
        (AffectedMode::Customers, None) => {
            return Err(ApiError::invalid(
                "customer_ids",
                "mode `customers` needs `customer_ids`",
            ));
        }
        (mode, Some(_)) => {
            return Err(ApiError::invalid(
                "customer_ids",
                format!("`customer_ids` goes only with mode `customers`, not `{mode}`"),
            ));
        }
        (_, None) => Vec::new(),
    };
    if !ids.is_empty() {
        let all = cx.store.list_customers().await?;
        if let Some(missing) = ids.iter().find(|id| !all.iter().any(|c| c.id == **id)) {
            return Err(ApiError::invalid(
                "customer_ids",
                format!("no customer {missing}"),
            ));
        }
    }
    Ok(cx
        .store
        .set_incident_affected(id, req.mode, &ids, &cx.actor(), cx.now)
        .await?)
}

/// Sets the components incident `id` affects (the whole set) and the state
/// it gives each (each must exist; 422 naming `components` otherwise).
pub async fn set_components(
    cx: &Ctx<'_>,
    id: i64,
    req: &SetIncidentComponents,
) -> Result<IncidentAffected, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let all = cx.store.list_components().await?;
    let mut pairs: Vec<(i64, ComponentStatus)> = Vec::new();
    for (i, s) in req.components.iter().enumerate() {
        if !all.iter().any(|c| c.id == s.component_id) {
            return Err(ApiError::invalid(
                &format!("components[{i}].component_id"),
                format!("no component {}", s.component_id),
            ));
        }
        if pairs.iter().any(|(c, _)| *c == s.component_id) {
            return Err(ApiError::invalid(
                &format!("components[{i}].component_id"),
                format!("component {} is listed twice", s.component_id),
            ));
        }
        pairs.push((s.component_id, s.status));
    }
    Ok(cx
        .store
        .set_incident_components(id, &pairs, &cx.actor(), cx.now)
        .await?)
}
