//! The admin pages of customers and components.
