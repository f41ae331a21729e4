//! Kubernetes Gateway API `HTTPRoute`.

use super::{AdaptContext, Adapter};
use crate::source::{FileId, Node};

pub static ADAPTER: Adapter = Adapter {
    name: "gateway-api",
    detect,
    uses_refs: false,
    adapt,
};

fn detect(_document: &Node) -> bool {
    false
}

fn adapt(_cx: &mut AdaptContext<'_>, _file: FileId, _document: &Node) {}
