//! JSON:API on the wire: media type, name spelling, query strings and documents.
//!
//! Clients of the reference API send names dashed (`organization-type-id`),
//! underscored (`organization_type_id`), capitalised (`City`) and camelCased
//! (`otpSecret`). Everything is normalised here, once, to the underscored
//! form the resource definitions use; responses are dashed again on the way out.

pub mod document;
pub mod query;

/// The media type of every response, and the preferred one for requests.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";
