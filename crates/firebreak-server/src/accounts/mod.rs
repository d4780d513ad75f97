//! Accounts: users, their roles and API tokens, over the JSON API
//! ([`api`]), the admin users page ([`web`]) and one user's page
//! ([`user_page`]: password, contact methods, test pages).

pub mod api;
pub mod user_page;
pub mod web;
