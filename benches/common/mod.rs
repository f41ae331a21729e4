//! What several benches generate: specs of a chosen size.

use std::fmt::Write;

/// A spec with `paths` path items of three operations each, every one with a `$ref`'d
/// parameter and response, and some findings (every tenth operation lacks a summary).
pub fn generated_spec(paths: usize) -> String {
    let mut out =
        String::from("openapi: 3.1.0\ninfo:\n  title: Generated\n  version: 1.0.0\npaths:\n");
    for i in 0..paths {
        let _ = write!(out, "  /resources{i}/{{id}}:\n    parameters:\n      - $ref: \"#/components/parameters/Id\"\n");
        for (j, method) in ["get", "put", "delete"].iter().enumerate() {
            let _ = write!(out, "    {method}:\n      operationId: op{i}x{j}\n");
            if (i + j) % 10 != 0 {
                let _ = writeln!(out, "      summary: Operation {i} {j}");
            }
            let _ = write!(
                out,
                "      description: Does thing {j} to resource {i}.\n      responses:\n        \"200\":\n          description: OK.\n        default:\n          $ref: \"#/components/responses/Error\"\n"
            );
        }
    }
    out.push_str("components:\n  parameters:\n    Id:\n      name: id\n      in: path\n      required: true\n      schema:\n        type: string\n  responses:\n    Error:\n      description: Error.\n");
    out
}
