//! One line per finding, `file:line:col: severity[rule] message (route)`, then the summary line:
//! for a quick look, `grep` and editors that jump to a location.

use std::io::{self, Write};

use super::human::{self, Palette, Styled};
use super::{Outcome, Report, Settings};

/// The one-line-per-finding report.
#[derive(Debug, Clone)]
pub struct Concise {
    pub settings: Settings,
}

impl Concise {
    pub fn new(settings: &Settings) -> Self {
        Concise {
            settings: settings.clone(),
        }
    }
}

impl Report for Concise {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let palette = Palette::new(self.settings.color);
        human::emit(outcome, &self.settings, out, |shown, out| {
            for diagnostic in shown {
                let file = outcome.workspace.file(diagnostic.location.file);
                // Most messages name their route already; say it only where one does not.
                let route = diagnostic
                    .route
                    .as_deref()
                    .filter(|route| !diagnostic.message.contains(route))
                    .map(|route| format!(" ({})", human::sanitize(route)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}{}",
                    human::headline(palette, file, diagnostic),
                    palette.paint(Styled::Route, &route),
                )?;
            }
            Ok(())
        })
    }
}
