//! Every rule's id and family, declared once. A leaf beside [`crate::span`]: the loader and the
//! adapters raise findings of the input rules (`parse-error`, `invalid-value`, ...), the rules
//! raise the rest, and every later stage reads them, so the ids sit below them all.
//!
//! A finding's [`RuleId`] is either one of routeguard's own rules ([`BuiltinRule`]) or a rule a
//! user declared (a custom ruleset's name), which flows through suppressions, the baseline and
//! every report the same way.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// What a rule is about; the folder of `src/rules/` its check lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Findings about reading the input: syntax, references, values, formats.
    Input,
    /// Findings about inline suppressions themselves.
    Suppression,
    Docs,
    Timeout,
    Retry,
    Fallback,
    Consistency,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Input => "input",
            Family::Suppression => "suppression",
            Family::Docs => "docs",
            Family::Timeout => "timeout",
            Family::Retry => "retry",
            Family::Fallback => "fallback",
            Family::Consistency => "consistency",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares [`BuiltinRule`]: one line per rule, `Variant => "kebab-id", Family;`, in id order.
/// build.rs writes the lines, one per catalog entry.
macro_rules! builtin_rules {
    ($($variant:ident => $id:literal, $family:ident;)+) => {
        /// One of routeguard's own rules. Its metadata (severity, summary, rationale, options,
        /// examples) is the catalog entry `rules/<id>.yaml`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum BuiltinRule {
            $($variant,)+
        }

        impl BuiltinRule {
            /// Every built-in rule, in id order.
            pub const ALL: &'static [BuiltinRule] = &[$(BuiltinRule::$variant,)+];

            /// The stable kebab-case id users write in configs and suppressions.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(BuiltinRule::$variant => $id,)+
                }
            }

            pub const fn family(self) -> Family {
                match self {
                    $(BuiltinRule::$variant => Family::$family,)+
                }
            }

            /// The built-in rule with this id.
            pub fn from_id(id: &str) -> Option<BuiltinRule> {
                match id {
                    $($id => Some(BuiltinRule::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

// One line per `rules/<id>.yaml`, written by build.rs from the catalog's file names and
// `family:` lines: `AiTimeoutDefault => "ai-timeout-default", Timeout;`.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

impl fmt::Display for BuiltinRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ordered by id, so that findings sort the same whichever kind of rule raised them.
impl Ord for BuiltinRule {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for BuiltinRule {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The rule a finding belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleId {
    Builtin(BuiltinRule),
    /// A rule the user declared (a custom ruleset's rule name): not in the catalog.
    Custom(Arc<str>),
}

impl RuleId {
    /// The id as users write it.
    pub fn as_str(&self) -> &str {
        match self {
            RuleId::Builtin(rule) => rule.as_str(),
            RuleId::Custom(name) => name,
        }
    }

    /// A built-in rule when `id` names one, else a custom rule of that name.
    pub fn parse(id: &str) -> RuleId {
        BuiltinRule::from_id(id).map_or_else(|| RuleId::Custom(Arc::from(id)), RuleId::Builtin)
    }

    pub fn builtin(&self) -> Option<BuiltinRule> {
        match self {
            RuleId::Builtin(rule) => Some(*rule),
            RuleId::Custom(_) => None,
        }
    }
}

impl From<BuiltinRule> for RuleId {
    fn from(rule: BuiltinRule) -> Self {
        RuleId::Builtin(rule)
    }
}

impl PartialEq<BuiltinRule> for RuleId {
    fn eq(&self, other: &BuiltinRule) -> bool {
        *self == RuleId::Builtin(*other)
    }
}

/// Compares with an id as written (in a config, a suppression, a test).
impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_unique_and_round_trip() {
        for pair in BuiltinRule::ALL.windows(2) {
            assert!(
                pair[0].as_str() < pair[1].as_str(),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        for rule in BuiltinRule::ALL {
            assert_eq!(BuiltinRule::from_id(rule.as_str()), Some(*rule));
        }
        assert_eq!(
            RuleId::parse("timeout-missing"),
            BuiltinRule::TimeoutMissing
        );
        assert_eq!(
            RuleId::parse("acme-owner"),
            RuleId::Custom(Arc::from("acme-owner"))
        );
    }
}
