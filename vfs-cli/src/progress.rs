//! The progress bar of a long copy: bytes done, rate and time left, on stderr
//! when stderr is a terminal and the file is large; nothing otherwise, so piped or
//! logged output stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Files smaller than this copy too fast for a bar to help.
pub const LARGE: u64 = 8 << 20;

/// A copy's progress, shown or not.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Progress of copying `size` bytes to `name`: a bar when stderr is a terminal
    /// and `size` is at least [`LARGE`], else nothing.
    pub fn copying(name: &str, size: u64) -> Progress {
        if size < LARGE || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let style = ProgressStyle::with_template(
            "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .expect("a valid progress bar template");
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(name.to_string());
        Progress(Some(bar))
    }

    /// Counts `bytes` more as copied.
    pub fn advance(&self, bytes: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes as u64);
        }
    }
}

impl Drop for Progress {
    /// Takes the bar off the terminal, whether the copy ended well or not, so an
    /// error message that follows starts on a clean line.
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
