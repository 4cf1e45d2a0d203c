// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Decision Gate Enterprise: the open-core server composed with the enterprise seams (API
//! keys and client certificates, roles and permissions, tenant lifecycle, IP allowlists), the
//! control store, the admin API under `/admin/v1/` and the operator's `admin` commands.

pub mod admin;
pub mod cli;
pub mod compose;
pub mod namespace_authority;
pub mod settings;
