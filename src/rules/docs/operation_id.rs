use crate::collections::HashMap;
use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::rules::options::{option_choice, rule_options};
use crate::rules::{Rule, RuleContext};

rule_options! {
    /// What `operation-id` asks of operationIds.
    pub struct OperationIdOptions {
        /// The naming convention every operationId follows.
        style: Style,
        /// Where an operationId must be unique.
        scope: IdScope,
    }
}

option_choice! {
    /// Where an operationId must be unique: within its API, or across everything linted.
    pub enum IdScope {
        Api = "api",
        Project = "project",
    }
}

/// Every operation has an `operationId`, unique within its API (option `scope: api`, the
/// default) or across everything linted together (`scope: project`).
pub struct OperationId;

impl Rule for OperationId {
    type Options = OperationIdOptions;

    fn check(&self, cx: &RuleContext<'_, OperationIdOptions>, out: &mut Vec<Diagnostic>) {
        // Keyed by the API (`None` with `scope: project`) and the id.
        let mut first_seen: HashMap<(Option<usize>, &str), usize> = HashMap::default();
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let route = operation.route();
            let Some(id) = &operation.operation_id else {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        operation.location,
                        format!("operation `{route}` has no operationId"),
                    )
                    .with_label("this operation has no `operationId`")
                    .with_route(route),
                );
                continue;
            };
            if id.value.trim().is_empty() {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        id.location,
                        format!("operation `{route}` has an empty operationId"),
                    )
                    .with_label("empty operationId")
                    .with_route(route),
                );
                continue;
            }
            let options = cx.options(id.location.file, Some(&route));
            let style = options.style;
            let api = (options.scope == IdScope::Api).then_some(operation.document);
            if !style.matches(&id.value) {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        id.location,
                        format!(
                            "operationId `{}` of `{route}` is not {}",
                            id.value,
                            style.as_str()
                        ),
                    )
                    .with_label(format!("not {}", style.as_str()))
                    .with_help(format!(
                        "rename it to `{}`, so that every operationId follows one convention",
                        style.convert(&id.value)
                    ))
                    .with_route(route.clone()),
                );
            }
            match first_seen.get(&(api, id.value.as_str())) {
                None => {
                    first_seen.insert((api, &id.value), index);
                }
                Some(&first) => {
                    let original = &cx.inventory.operations[first];
                    out.push(
                        Diagnostic::new(
                            self.id(),
                            id.location,
                            format!(
                                "operationId `{}` of `{route}` is already used by `{}`",
                                id.value,
                                original.route()
                            ),
                        )
                        .with_severity(Severity::Error)
                        .with_label("duplicate operationId")
                        .with_related(Related {
                            location: original
                                .operation_id
                                .as_ref()
                                .map_or(original.location, |first| first.location),
                            message: format!("first used by `{}`", original.route()),
                        })
                        .with_help(
                            "operationIds name generated client methods and link documentation; \
                             rename one so that every operationId is unique",
                        )
                        .with_route(route),
                    );
                }
            }
        }
    }
}

option_choice! {
    /// A naming convention of the `style` option (`any` is no convention).
    pub enum Style {
        Any = "any",
        Camel = "camelCase",
        Snake = "snake_case",
        Kebab = "kebab-case",
    }
}

impl Style {
    /// Any id follows `any`. camelCase: a lower-case letter, then letters and digits. snake_case and kebab-case:
    /// lower-case words of letters and digits, joined by single separators.
    fn matches(self, id: &str) -> bool {
        let starts_lower = id.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let separated_by = |separator: char| {
            starts_lower
                && id.split(separator).all(|word| {
                    !word.is_empty()
                        && word
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                })
        };
        match self {
            Style::Any => true,
            Style::Camel => starts_lower && id.chars().all(|c| c.is_ascii_alphanumeric()),
            Style::Snake => separated_by('_'),
            Style::Kebab => separated_by('-'),
        }
    }

    /// `id` in this style: its words (split at separators and at lower-to-upper case changes)
    /// joined the style's way.
    fn convert(self, id: &str) -> String {
        let words = words(id);
        match self {
            Style::Any => id.to_string(),
            Style::Camel => words
                .iter()
                .enumerate()
                .map(|(index, word)| {
                    if index == 0 {
                        word.clone()
                    } else {
                        let mut chars = word.chars();
                        chars
                            .next()
                            .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                            .unwrap_or_default()
                    }
                })
                .collect(),
            Style::Snake => words.join("_"),
            Style::Kebab => words.join("-"),
        }
    }
}

/// Lower-cased words of an identifier: `getPet_byID-v2` → `get`, `pet`, `by`, `id`, `v2`.
fn words(id: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in id.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        let boundary = c.is_uppercase()
            && previous
                .is_some_and(|previous| previous.is_lowercase() || previous.is_ascii_digit());
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
        previous = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_recognise_their_own() {
        assert!(Style::Camel.matches("listPets"));
        assert!(Style::Camel.matches("getV2Pet"));
        assert!(!Style::Camel.matches("ListPets"));
        assert!(!Style::Camel.matches("list_pets"));
        assert!(Style::Snake.matches("list_pets"));
        assert!(!Style::Snake.matches("list__pets"));
        assert!(!Style::Snake.matches("listPets"));
        assert!(Style::Kebab.matches("list-pets-2"));
        assert!(!Style::Kebab.matches("list-pets-"));
    }

    #[test]
    fn conversion_suggests_a_name() {
        assert_eq!(Style::Camel.convert("list_pets"), "listPets");
        assert_eq!(Style::Camel.convert("Get-Pet-By-ID"), "getPetById");
        assert_eq!(Style::Snake.convert("getPetByID"), "get_pet_by_id");
        assert_eq!(Style::Kebab.convert("listPets"), "list-pets");
    }
}
