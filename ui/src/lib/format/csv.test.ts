import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "./csv";

describe("csvField", () => {
  it("leaves plain text alone", () => {
    expect(csvField("Contoso mail")).toBe("Contoso mail");
    expect(csvField(42)).toBe("42");
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
  });

  it("quotes commas, quotes and line breaks, doubling the quotes (RFC 4180)", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
  });

  it("defuses formulas with a leading apostrophe", () => {
    expect(csvField("=HYPERLINK(\"http://x\")")).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField("+1+1")).toBe("'+1+1");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tcmd")).toBe("'\tcmd");
    expect(csvField("=1,2")).toBe("\"'=1,2\"");
  });

  it("keeps plain negative numbers as numbers", () => {
    expect(csvField(-3)).toBe("-3");
    expect(csvField("-3")).toBe("-3");
    expect(csvField("-3.5")).toBe("-3.5");
    expect(csvField("-3e2")).toBe("'-3e2");
  });
});

describe("toCsv", () => {
  it("writes a header and rows, every line ending in CRLF", () => {
    expect(toCsv(["A", "B"], [["1", "x,y"], [null, "=z"]])).toBe('A,B\r\n1,"x,y"\r\n,\'=z\r\n');
  });

  it("writes just the header for no rows", () => {
    expect(toCsv(["Only"], [])).toBe("Only\r\n");
  });
});
