//! The integration tests, built as one executable (one link instead of one per
//! file). Each module is a group of tests; `common` is their harness.

mod common;

mod api_org;
mod applications;
mod audit_chain;
mod authorization;
mod calendar;
mod case_api;
mod case_pages;
mod cases;
mod catalogue;
mod demo;
mod disclosure;
mod documents;
mod exchange;
mod grid_pages;
mod grid_routing;
mod identity;
mod indicators;
mod indicators_api;
mod mailbox;
mod new_system;
mod notifications;
mod oidc;
mod open311;
mod openapi;
mod outage;
mod pages;
mod password_reset;
mod personal_tokens;
mod petitions;
mod platform;
mod process;
mod reference_data;
mod security;
mod services;
mod statistics;
mod store_writes;
mod supervision_nodes;
mod workplan;
