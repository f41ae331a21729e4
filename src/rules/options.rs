//! Typed rule options. A rule with options declares them once, as a struct ([`rule_options!`],
//! choices as enums with [`option_choice!`]), and reads its fields; the rule's catalog entry
//! (`rules/<id>.yaml`) keeps each option's type, bounds, default and documentation, which the
//! config stage checks values against. A test holds the struct and the entry to the same names
//! and kinds ([`Check::option_mismatches`](crate::rules::Check::option_mismatches)).
//!
//! The config's values are resolved into the struct once per scope: once for the whole project,
//! and once for each set of `overrides:` entries that set the rule's options for some files or
//! routes ([`ScopedOptions`]).

use crate::collections::HashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::catalog::options::{OptionKind, OptionValue, OptionValues, RuleOptions};
use crate::catalog::RuleMeta;
use crate::rule_id::BuiltinRule;
use crate::rules::{RuleInputs, RuleSettings};
use crate::span::{FileId, FileNames};

/// The kind of value an options field holds, as a catalog entry's `type:` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Boolean,
    Integer,
    Duration,
    /// One of these words, in the order the catalog lists them.
    Choice(&'static [&'static str]),
    String,
    List,
}

impl FieldKind {
    /// Whether an option the catalog declares as `kind` reads into a field of this kind.
    pub fn accepts(self, kind: &OptionKind) -> bool {
        match (self, kind) {
            (FieldKind::Boolean, OptionKind::Boolean)
            | (FieldKind::Integer, OptionKind::Integer { .. })
            | (FieldKind::Duration, OptionKind::Duration)
            | (FieldKind::String, OptionKind::String)
            | (FieldKind::List, OptionKind::List) => true,
            (FieldKind::Choice(words), OptionKind::Choice(declared)) => {
                words.len() == declared.len()
                    && words
                        .iter()
                        .zip(declared)
                        .all(|(word, value)| word == value)
            }
            _ => false,
        }
    }
}

/// A type an options field may have.
pub trait OptionType: Sized {
    const KIND: FieldKind;
    /// The value as this type, if it is of [`Self::KIND`].
    fn from_value(value: &OptionValue) -> Option<Self>;
}

impl OptionType for bool {
    const KIND: FieldKind = FieldKind::Boolean;
    fn from_value(value: &OptionValue) -> Option<Self> {
        match value {
            OptionValue::Boolean(value) => Some(*value),
            _ => None,
        }
    }
}

impl OptionType for i64 {
    const KIND: FieldKind = FieldKind::Integer;
    fn from_value(value: &OptionValue) -> Option<Self> {
        match value {
            OptionValue::Integer(value) => Some(*value),
            _ => None,
        }
    }
}

impl OptionType for Duration {
    const KIND: FieldKind = FieldKind::Duration;
    fn from_value(value: &OptionValue) -> Option<Self> {
        match value {
            OptionValue::Duration(value) => Some(*value),
            _ => None,
        }
    }
}

impl OptionType for String {
    const KIND: FieldKind = FieldKind::String;
    fn from_value(value: &OptionValue) -> Option<Self> {
        match value {
            OptionValue::Text(value) => Some(value.clone()),
            _ => None,
        }
    }
}

impl OptionType for Vec<String> {
    const KIND: FieldKind = FieldKind::List;
    fn from_value(value: &OptionValue) -> Option<Self> {
        match value {
            OptionValue::List(values) => Some(values.clone()),
            _ => None,
        }
    }
}

/// One field of an options struct: the option's name as users write it, and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
}

impl Field {
    /// A field named like serde's `rename_all = "kebab-case"`: `ai_max` is the option `ai-max`.
    pub fn new(ident: &str, kind: FieldKind) -> Field {
        Field {
            name: ident.replace('_', "-"),
            kind,
        }
    }
}

/// A rule's options as one typed value; `()` for a rule without options.
pub trait Options: Sized {
    /// The options the struct reads, in declaration order.
    fn fields() -> Vec<Field>;
    /// Reads the effective value of every field; the error names a field whose value is missing
    /// or of another kind.
    fn read(values: &RuleOptions<'_>) -> Result<Self, String>;
}

impl Options for () {
    fn fields() -> Vec<Field> {
        Vec::new()
    }

    fn read(_: &RuleOptions<'_>) -> Result<Self, String> {
        Ok(())
    }
}

/// The value of the field `name`, for [`rule_options!`].
pub fn read_field<T: OptionType>(values: &RuleOptions<'_>, name: &str) -> Result<T, String> {
    let value = values
        .get(name)
        .ok_or_else(|| format!("the catalog declares no option `{name}`"))?;
    T::from_value(value).ok_or_else(|| {
        format!(
            "option `{name}` is read as {:?}, but its value is {value:?}",
            T::KIND
        )
    })
}

/// How the struct and the catalog entry of `rule` disagree, if they do: an option one declares
/// and the other does not, one of another kind, or a default the struct cannot read.
pub fn mismatches<T: Options>(rule: BuiltinRule, meta: Option<&RuleMeta>) -> Vec<String> {
    let declared = meta.map(|meta| meta.options.as_slice()).unwrap_or_default();
    let fields = T::fields();
    let mut found = Vec::new();
    for field in &fields {
        match declared.iter().find(|option| option.name == field.name) {
            None => found.push(format!(
                "{rule}: the options struct reads `{}`, which rules/{rule}.yaml does not declare",
                field.name
            )),
            Some(option) if !field.kind.accepts(&option.kind) => found.push(format!(
                "{rule}: `{}` is {:?} in the options struct but `{}` in rules/{rule}.yaml",
                field.name,
                field.kind,
                option.kind.describe()
            )),
            Some(_) => {}
        }
    }
    for option in declared {
        if !fields.iter().any(|field| field.name == option.name) {
            found.push(format!(
                "{rule}: rules/{rule}.yaml declares `{}`, which the options struct does not read",
                option.name
            ));
        }
    }
    if found.is_empty() {
        if let Err(error) = T::read(&RuleOptions::new(meta, Vec::new())) {
            found.push(format!("{rule}: the catalog defaults do not read: {error}"));
        }
    }
    found
}

/// Declares a rule's options struct. Each field is the option of the same name in kebab case
/// (`max_length` is `max-length`), of a type that implements [`OptionType`]: `bool`, `i64`,
/// `Duration`, `String`, `Vec<String>` or an [`option_choice!`] enum.
///
/// ```ignore
/// rule_options! {
///     /// What `retry-excessive` allows.
///     pub struct RetryExcessiveOptions {
///         /// The most retries a route may make.
///         max: i64,
///     }
/// }
/// ```
macro_rules! rule_options {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $($(#[$field_attr])* pub $field: $ty,)*
        }

        impl $crate::rules::options::Options for $name {
            fn fields() -> Vec<$crate::rules::options::Field> {
                vec![$($crate::rules::options::Field::new(
                    stringify!($field),
                    <$ty as $crate::rules::options::OptionType>::KIND,
                ),)*]
            }

            fn read(values: &$crate::catalog::options::RuleOptions<'_>) -> Result<Self, String> {
                Ok($name {
                    $($field: $crate::rules::options::read_field(
                        values,
                        &stringify!($field).replace('_', "-"),
                    )?,)*
                })
            }
        }
    };
}
pub(crate) use rule_options;

/// Declares the enum of a `choice` option: one variant per word, in the catalog's order.
///
/// ```ignore
/// option_choice! {
///     pub enum Scope { Api = "api", Project = "project" }
/// }
/// ```
macro_rules! option_choice {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_attr:meta])* $variant:ident = $word:literal),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$variant_attr])* $variant,)+
        }

        impl $name {
            /// The word as users write it.
            #[allow(dead_code)]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl $crate::rules::options::OptionType for $name {
            const KIND: $crate::rules::options::FieldKind =
                $crate::rules::options::FieldKind::Choice(&[$($word),+]);

            fn from_value(value: &$crate::catalog::options::OptionValue) -> Option<Self> {
                match value {
                    $crate::catalog::options::OptionValue::Text(text) => match text.as_str() {
                        $($word => Some($name::$variant),)+
                        _ => None,
                    },
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use option_choice;

/// A rule's options for every scope of one run, each resolved on first use: what
/// [`RuleContext::options`](crate::rules::RuleContext::options) reads.
pub struct ScopedOptions<'a, T> {
    rule: BuiltinRule,
    meta: Option<&'static RuleMeta>,
    settings: &'a dyn RuleSettings,
    workspace: &'a dyn FileNames,
    /// The values that apply everywhere, lowest precedence first.
    everywhere: Vec<&'a OptionValues>,
    /// The `overrides:` entries that set some of the rule's options, by index, in order.
    overrides: Vec<(usize, &'a OptionValues)>,
    /// Keyed by the overrides that apply (none: the project-wide options).
    resolved: RefCell<HashMap<Vec<usize>, Rc<T>>>,
}

impl<'a, T: Options> ScopedOptions<'a, T> {
    pub fn new(rule: BuiltinRule, inputs: &RuleInputs<'a>) -> Self {
        let layers = inputs.config.option_layers(rule);
        ScopedOptions {
            rule,
            meta: crate::catalog::get(rule.as_str()),
            settings: inputs.config,
            workspace: inputs.workspace,
            everywhere: layers.everywhere,
            overrides: layers.overrides,
            resolved: RefCell::new(HashMap::default()),
        }
    }

    /// The options for a finding in `file` about `route` (`GET /pets`, a route's label).
    pub fn at(&self, file: FileId, route: Option<&str>) -> Rc<T> {
        let applying: Vec<usize> = if self.overrides.is_empty() {
            Vec::new()
        } else {
            let path = self.workspace.path(file);
            self.overrides
                .iter()
                .filter(|(index, _)| self.settings.override_applies(*index, path, route))
                .map(|(index, _)| *index)
                .collect()
        };
        if let Some(options) = self.resolved.borrow().get(&applying) {
            return Rc::clone(options);
        }
        let layers = self
            .everywhere
            .iter()
            .copied()
            .chain(
                self.overrides
                    .iter()
                    .filter(|(index, _)| applying.contains(index))
                    .map(|(_, values)| *values),
            )
            .collect();
        // The config stage checks every value against the catalog entry, and a test holds the
        // struct to the entry, so only a struct that test has not seen can fail here.
        let options = Rc::new(
            T::read(&RuleOptions::new(self.meta, layers)).unwrap_or_else(|error| {
                panic!(
                    "rules/{}.yaml and the rule's options struct disagree: {error}",
                    self.rule
                )
            }),
        );
        self.resolved
            .borrow_mut()
            .insert(applying, Rc::clone(&options));
        options
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::join::Join;
    use crate::model::Inventory;
    use crate::rules::OptionLayers;

    rule_options! {
        struct Summary {
            max_length: i64,
        }
    }

    rule_options! {
        struct Misnamed {
            max_len: i64,
        }
    }

    rule_options! {
        struct Mistyped {
            max_length: Duration,
        }
    }

    option_choice! {
        enum Scope {
            Api = "api",
            Project = "project",
        }
    }

    rule_options! {
        struct OperationIds {
            style: String,
            scope: Scope,
        }
    }

    #[test]
    fn a_struct_is_held_to_its_catalog_entry() {
        let summary = crate::catalog::get("operation-summary");
        let rule = BuiltinRule::OperationSummary;
        assert_eq!(mismatches::<Summary>(rule, summary), Vec::<String>::new());
        let misnamed = mismatches::<Misnamed>(rule, summary);
        assert_eq!(misnamed.len(), 2, "{misnamed:?}");
        assert!(misnamed[0].contains("reads `max-len`"), "{misnamed:?}");
        assert!(
            misnamed[1].contains("declares `max-length`"),
            "{misnamed:?}"
        );
        let mistyped = mismatches::<Mistyped>(rule, summary);
        assert_eq!(mistyped.len(), 1);
        assert!(
            mistyped[0].contains("`max-length` is Duration"),
            "{mistyped:?}"
        );
        assert_eq!(mismatches::<()>(rule, summary).len(), 1);
        // A choice is the catalog's words, in its order; a string is not a choice.
        let ids = mismatches::<OperationIds>(
            BuiltinRule::OperationId,
            crate::catalog::get("operation-id"),
        );
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert!(ids[0].contains("`style` is String"), "{ids:?}");
    }

    struct Files;

    impl FileNames for Files {
        fn display(&self, _: FileId) -> &str {
            ""
        }

        fn path(&self, file: FileId) -> &Path {
            Path::new(["/project/a.yaml", "/project/b.yaml"][file.0 as usize])
        }

        fn text(&self, _: FileId) -> Option<crate::span::SourceText<'_>> {
            None
        }
    }

    /// `max-length: 80` everywhere, and 60 from an override for `b.yaml`.
    struct Settings {
        everywhere: OptionValues,
        for_b: OptionValues,
    }

    impl RuleSettings for Settings {
        fn may_run(&self, _: BuiltinRule) -> bool {
            true
        }

        fn option_layers(&self, _: BuiltinRule) -> OptionLayers<'_> {
            OptionLayers {
                everywhere: vec![&self.everywhere],
                overrides: vec![(0, &self.for_b)],
            }
        }

        fn override_applies(&self, index: usize, path: &Path, _: Option<&str>) -> bool {
            index == 0 && path.ends_with("b.yaml")
        }
    }

    #[test]
    fn options_are_resolved_once_per_set_of_overrides() {
        let settings = Settings {
            everywhere: [("max-length".to_string(), OptionValue::Integer(80))].into(),
            for_b: [("max-length".to_string(), OptionValue::Integer(60))].into(),
        };
        let (inventory, join) = (Inventory::default(), Join::default());
        let inputs = RuleInputs {
            inventory: &inventory,
            workspace: &Files,
            join: &join,
            config: &settings,
        };
        let scoped = ScopedOptions::<Summary>::new(BuiltinRule::OperationSummary, &inputs);
        let first = scoped.at(FileId(0), Some("GET /pets"));
        let second = scoped.at(FileId(0), Some("POST /pets"));
        assert_eq!(first.max_length, 80);
        assert!(Rc::ptr_eq(&first, &second));
        assert_eq!(scoped.at(FileId(1), None).max_length, 60);
        assert_eq!(scoped.resolved.borrow().len(), 2);
    }
}
