//! web tests follow
