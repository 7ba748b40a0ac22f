// CSV as RFC 4180 says (CRLF line ends; a field with a comma, quote or line break is quoted, its quotes doubled),
// with spreadsheet formula injection defused: a text field that starts with = + - @ (or a tab or carriage
// return) gets a leading apostrophe, so Excel or LibreOffice shows it instead of evaluating it. A plain number
// such as "-3" is left alone: it is not a formula.

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, defused and quoted as needed. */
export function csvField(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole document: a header row, then the rows; every line ends with CRLF. */
export function toCsv(header: readonly string[], rows: Iterable<readonly (string | number | null)[]>): string {
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map(csvField).join(","));
  return lines.join("\r\n") + "\r\n";
}
