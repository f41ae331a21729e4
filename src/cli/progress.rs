//! The progress bar of a long run: on standard error, only when it is a terminal, outside CI,
//! without `--quiet`, and once the run has taken a second, so that quick runs and logs stay clean.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::lint::{Progress, Stage};

/// How long a run goes before its progress is shown.
const DELAY: Duration = Duration::from_secs(1);

/// Whether a run may show progress: standard error is a terminal, `CI` is not set, not quiet.
pub fn wanted(stderr_is_terminal: bool, ci: bool, quiet: u8) -> bool {
    stderr_is_terminal && !ci && quiet == 0
}

/// A progress bar for this process's run, when [`wanted`].
pub fn for_run(quiet: u8) -> Option<Arc<TerminalProgress>> {
    use std::io::IsTerminal;
    let ci = std::env::var_os("CI").is_some_and(|value| !value.is_empty());
    if !wanted(std::io::stderr().is_terminal(), ci, quiet) {
        return None;
    }
    let progress = Arc::new(TerminalProgress::new());
    // Shown after the delay even while one long step (parsing a huge file) reports nothing.
    let waiting = Arc::clone(&progress);
    std::thread::spawn(move || {
        std::thread::sleep(DELAY);
        waiting.show_when_due();
    });
    Some(progress)
}

/// An indicatif bar, hidden until the run has lasted [`DELAY`].
pub struct TerminalProgress {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
    finished: AtomicBool,
}

impl TerminalProgress {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        TerminalProgress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        }
    }

    fn show_when_due(&self) {
        if self.started.elapsed() >= DELAY
            && !self.finished.load(Ordering::Relaxed)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    /// Clears the bar before the reports are written.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
        self.bar.finish_and_clear();
    }
}

impl Progress for TerminalProgress {
    fn start(&self, stage: Stage, total: usize) {
        let (message, unit) = match stage {
            Stage::Reading => ("reading", "files"),
            Stage::Resolving => ("resolving references", ""),
            Stage::Linting => ("linting", "documents"),
            Stage::Checking => ("checking rules", ""),
        };
        let template = if total > 0 {
            format!("{{spinner}} {message} {{bar:30}} {{pos}}/{{len}} {unit} {{elapsed}}")
        } else {
            format!("{{spinner}} {message} {{elapsed}}")
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(0);
        self.show_when_due();
    }

    fn advance(&self) {
        self.bar.inc(1);
        self.show_when_due();
    }
}

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn progress_only_on_a_terminal_outside_ci_and_not_quiet() {
        assert!(wanted(true, false, 0));
        assert!(!wanted(false, false, 0), "piped");
        assert!(!wanted(true, true, 0), "CI");
        assert!(!wanted(true, false, 1), "-q");
    }
}
