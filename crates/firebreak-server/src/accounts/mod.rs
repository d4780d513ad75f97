//! Accounts: users, their roles and API tokens, over the JSON API
//! ([`api`]) and the admin users page ([`web`]).

pub mod api;
pub mod web;
