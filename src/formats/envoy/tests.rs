use super::detect;
use super::dump::{dump_entry, DumpEntry};
use super::route::uri_template;
use crate::formats::read::Naming;
use crate::source::Node;

#[test]
fn fields_are_named_as_protobuf_names_them() {
    let names = |key: &str, name: &str| Naming::Proto.names(key, name);
    assert!(names("perTryTimeout", "per_try_timeout"));
    assert!(names("retryBackOff", "retry_back_off"));
    // A digit after an underscore stays as it is; only the underscore goes.
    assert!(names("consecutive5xx", "consecutive_5xx"));
    assert!(names(
        "enforcingConsecutive5xx",
        "enforcing_consecutive_5xx"
    ));
    assert!(names("name", "name"));
    assert!(names("per_try_timeout", "per_try_timeout"));
    // Protobuf matches names exactly: no other casing, and no JSON name for a JSON name.
    assert!(!names("PerTryTimeout", "per_try_timeout"));
    assert!(!names("pertrytimeout", "per_try_timeout"));
    assert!(!names("per_try_timeout", "perTryTimeout"));
    assert!(!names("consecutive_5XX", "consecutive_5xx"));
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
