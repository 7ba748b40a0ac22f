//! Human output: aligned columns, colour only on a terminal (and never with `NO_COLOR`), times in words.

use std::io::IsTerminal;

/// `println!` that does not panic when stdout is closed (`mailgrant status | head -1`), and that a name or a
/// server reply from outside can't use to drive the terminal (see [`shown`]).
macro_rules! say {
    ($($arg:tt)*) => { $crate::out::line!(false; $($arg)*) };
}

/// `print!`, likewise.
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::out::emit(false, &format!($($arg)*)) };
}

/// `eprintln!`, likewise.
macro_rules! note {
    ($($arg:tt)*) => { $crate::out::line!(true; $($arg)*) };
}

/// `eprint!`, likewise.
macro_rules! note_raw {
    ($($arg:tt)*) => { $crate::out::emit(true, &format!($($arg)*)) };
}

/// A line to stderr (`true`) or stdout, through [`emit`].
macro_rules! line {
    ($to_stderr:expr;) => { $crate::out::emit($to_stderr, "\n") };
    ($to_stderr:expr; $($arg:tt)+) => {
        $crate::out::emit($to_stderr, &format!("{}\n", format_args!($($arg)+)))
    };
}

/// Writes `text` to stderr (`to_stderr`) or stdout, ignoring a closed stream; on a terminal, as [`shown`].
pub fn emit(to_stderr: bool, text: &str) {
    fn write(mut stream: impl std::io::Write + IsTerminal, text: &str) {
        let text = if stream.is_terminal() {
            shown(text)
        } else {
            text.into()
        };
        let _ = stream.write_all(text.as_bytes());
    }
    if to_stderr {
        write(std::io::stderr().lock(), text);
    } else {
        write(std::io::stdout().lock(), text);
    }
}

/// Text as a terminal may show it: line breaks, tabs and Mailgrant's own colours (`ESC [ … m`) stay; every other
/// control character (a name or a server reply could carry ESC sequences that clear the screen, set the title or
/// move the cursor, a BEL, a lone carriage return) becomes `?`.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    let is_colour = |rest: &str| {
        rest.strip_prefix('[').is_some_and(|params| {
            let end = params.find(|c: char| !(c.is_ascii_digit() || c == ';'));
            end.is_some_and(|i| params[i..].starts_with('m'))
        })
    };
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let keep = match c {
            '\n' | '\t' => true,
            '\r' => text[i + 1..].starts_with('\n'),
            '\u{1b}' => is_colour(&text[i + 1..]),
            c => !c.is_control(),
        };
        out.push(if keep { c } else { '?' });
    }
    out.into()
}

pub(crate) use {line, note, note_raw, say, say_raw};

/// A tone for a word; shown as colour only on a terminal, the word itself always carries the meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Plain,
}

pub fn colour_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

pub fn colour_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

pub fn paint(text: &str, tone: Tone, colour: bool) -> String {
    let code = match tone {
        Tone::Good => "32",
        Tone::Warn => "33",
        Tone::Bad => "31",
        Tone::Plain => return text.to_owned(),
    };
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Columns padded to the widest cell; a cell may carry a tone (the padding is computed on the plain text).
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<(String, Tone)>>,
}

impl Table {
    pub fn new(header: &[&'static str]) -> Self {
        Self {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A row; control characters in a cell (an app name any Entra user may write, a server's reply) are shown
    /// as `?`, so they can't move the cursor, recolour the terminal or break the columns.
    pub fn row(&mut self, cells: Vec<(String, Tone)>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|(text, tone)| (printable(&text), tone))
                .collect(),
        );
    }

    pub fn render(&self, colour: bool) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, (text, _)) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(text.chars().count());
                }
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<(String, Tone)>, out: &mut String| {
            let last = cells.len().saturating_sub(1);
            for (i, (text, tone)) in cells.into_iter().enumerate() {
                let pad = widths[i].saturating_sub(text.chars().count());
                out.push_str(&paint(&text, tone, colour));
                if i < last {
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.push('\n');
        };
        line(
            self.header
                .iter()
                .map(|h| ((*h).to_owned(), Tone::Plain))
                .collect(),
            &mut out,
        );
        for row in &self.rows {
            line(row.clone(), &mut out);
        }
        out
    }
}

/// `2026-12-03 10:15 UTC`.
pub fn datetime(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `2026-12-03`.
pub fn date(unix: i64) -> String {
    datetime(unix).chars().take(10).collect()
}

/// `in 52 min`, `3 days ago`.
pub fn relative(unix: i64, now: i64) -> String {
    let delta = unix - now;
    let span = delta.unsigned_abs();
    if span < 5 {
        return "just now".to_owned();
    }
    let words = if span < 90 {
        format!("{span} s")
    } else if span < 90 * 60 {
        format!("{} min", span / 60)
    } else if span < 36 * 3600 {
        format!("{} h", span / 3600)
    } else {
        format!("{} days", span / 86_400)
    };
    if delta >= 0 {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

/// Text from outside made safe for a terminal: every control character (ESC, BEL, CR, …) becomes `?`.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_whatever_the_colour() {
        let mut table = Table::new(&["NAME", "STATE"]);
        table.row(vec![
            ("adele".into(), Tone::Plain),
            ("working".into(), Tone::Good),
        ]);
        table.row(vec![
            ("a-much-longer-name".into(), Tone::Plain),
            ("failing".into(), Tone::Bad),
        ]);
        let plain = table.render(false);
        let lines: Vec<&str> = plain.lines().collect();
        let column = lines[0].find("STATE").unwrap();
        assert_eq!(lines[1].find("working"), Some(column));
        assert_eq!(lines[2].find("failing"), Some(column));
        let coloured = table.render(true);
        assert!(coloured.contains("\x1b[32mworking\x1b[0m"));
        assert!(!plain.contains('\x1b'));
    }

    #[test]
    fn terminal_output_keeps_colours_and_line_breaks_and_nothing_else() {
        let coloured = format!("{} done\r\n", paint("ok", Tone::Good, true));
        assert_eq!(shown(&coloured), coloured, "our own SGR colour and a CRLF stay");
        assert_eq!(
            shown("Payroll\u{1b}[2J\u{1b}]0;pwned\u{7}\rEvil\n"),
            "Payroll?[2J?]0;pwned??Evil\n",
            "screen clearing, a title, a bell and a lone CR do not"
        );
        assert_eq!(shown("\u{9b}31m C1 too"), "?31m C1 too");
    }

    #[test]
    fn table_cells_from_outside_cannot_drive_the_terminal() {
        let mut table = Table::new(&["APP"]);
        table.row(vec![(
            "Payroll\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nEvil".into(),
            Tone::Plain,
        )]);
        let shown = table.render(false);
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert_eq!(
            shown.lines().nth(1).map(str::trim_end),
            Some("Payroll?[2J?]0;pwned???Evil")
        );
    }

    #[test]
    fn times_read_as_words() {
        assert_eq!(relative(1_000 + 3_000, 1_000), "in 50 min");
        assert_eq!(relative(1_000 - 3 * 86_400, 1_000), "3 days ago");
        assert_eq!(relative(1_000, 1_000), "just now");
        assert_eq!(relative(1_000 - 30, 1_000), "30 s ago");
        assert_eq!(datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(86_400), "1970-01-02");
    }
}
