//! An organisation's own rules: Spectral rulesets read as they are, and route policies in CEL.

pub mod jsonpath;
pub mod regex;
