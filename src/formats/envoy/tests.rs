use super::detect;
use super::dump::{dump_entry, DumpEntry};
use super::message::{json_name, names_field};
use super::route::uri_template;
use crate::source::Node;

#[test]
fn json_names_follow_protobuf() {
    let json = |name: &str| json_name(name).collect::<String>();
    assert_eq!(json("per_try_timeout"), "perTryTimeout");
    assert_eq!(json("retry_back_off"), "retryBackOff");
    // A digit after an underscore stays as it is; only the underscore goes.
    assert_eq!(json("consecutive_5xx"), "consecutive5xx");
    assert_eq!(json("enforcing_consecutive_5xx"), "enforcingConsecutive5xx");
    assert_eq!(json("name"), "name");

    assert!(names_field("perTryTimeout", "per_try_timeout"));
    assert!(names_field("per_try_timeout", "per_try_timeout"));
    assert!(names_field("consecutive5xx", "consecutive_5xx"));
    // Protobuf matches names exactly: no other casing, and no JSON name for a JSON name.
    assert!(!names_field("PerTryTimeout", "per_try_timeout"));
    assert!(!names_field("pertrytimeout", "per_try_timeout"));
    assert!(!names_field("per_try_timeout", "perTryTimeout"));
    assert!(!names_field("consecutive_5XX", "consecutive_5xx"));
}

fn json(text: &str) -> Node {
    use crate::source::{parse_text, Syntax};
    parse_text(text, Syntax::Json)
        .ok()
        .and_then(|loaded| loaded.documents.into_iter().next())
        .unwrap_or_else(|| panic!("JSON: {text}"))
}

#[test]
fn config_dumps_are_known_by_their_admin_types() {
    let entry = |type_url: &str| dump_entry(&json(&format!(r#"{{"@type": "{type_url}"}}"#)));
    let admin = "type.googleapis.com/envoy.admin.v3.";
    assert_eq!(
        entry(&format!("{admin}ClustersConfigDump")),
        Some(DumpEntry::Clusters)
    );
    // `/config_dump?resource=dynamic_active_clusters` lists the items themselves.
    assert_eq!(
        entry(&format!("{admin}ClustersConfigDump.DynamicCluster")),
        Some(DumpEntry::Cluster)
    );
    assert_eq!(
        entry(&format!("{admin}ListenersConfigDump.DynamicListener")),
        Some(DumpEntry::DynamicListener)
    );
    assert_eq!(
        entry(&format!("{admin}SecretsConfigDump")),
        Some(DumpEntry::Other)
    );
    assert_eq!(entry("type.googleapis.com/envoy.admin.v3.Clusters"), None);
    assert_eq!(
        entry("type.googleapis.com/envoy.admin.v2alpha.ClustersConfigDump"),
        None
    );
    assert_eq!(
        entry("type.googleapis.com/envoy.config.cluster.v3.Cluster"),
        None
    );

    assert!(detect(&json(&format!(
        r#"{{"configs": [{{"@type": "{admin}SecretsConfigDump"}}]}}"#
    ))));
    assert!(!detect(&json(r#"{"configs": [{"name": "a"}]}"#)));
    assert!(!detect(&json(r#"{"configs": "all"}"#)));
}

#[test]
fn uri_templates() {
    assert_eq!(uri_template("/books/{id}").as_deref(), Some("/books/{id}"));
    assert_eq!(
        uri_template("/books/{id=*}/pages").as_deref(),
        Some("/books/{id}/pages")
    );
    assert_eq!(
        uri_template("/files/{path=**}").as_deref(),
        Some("/files/**")
    );
    assert_eq!(uri_template("/files/**").as_deref(), Some("/files/**"));
    assert_eq!(uri_template("/a/*/b").as_deref(), Some("/a/*/b"));
    assert_eq!(uri_template("books/{id}"), None);
    assert_eq!(uri_template("/books/{id"), None);
    assert_eq!(uri_template("/books/{=*}"), None);
    assert_eq!(uri_template("/books/{id=a/*}"), None);
}
