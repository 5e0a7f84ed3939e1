//! What the API answers about a renewal, shared by the functions that show one: the
//! beneficiary's and partner's view, a document, the engine's estimate.

mod renewal;
mod thread;

pub use renewal::{document_states, document_view, estimate, estimate_view, view, Visibility};
pub use thread::{agent_posted_view, message_view, posted_view, thread_view};
