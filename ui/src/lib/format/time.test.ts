import { describe, expect, it } from "vitest";
import { countdown, daysLeftText, isoUtc, plural, relativeTime } from "./time";

describe("countdown", () => {
  it("shows minutes and seconds under an hour", () => {
    expect(countdown(3599)).toBe("59:59");
    expect(countdown(65)).toBe("1:05");
    expect(countdown(1)).toBe("0:01");
  });
  it("shows hours and minutes under a day, days beyond", () => {
    expect(countdown(3600)).toBe("1 h 00 min");
    expect(countdown(2 * 3600 + 5 * 60 + 59)).toBe("2 h 05 min");
    expect(countdown(86_400)).toBe("1 day");
    expect(countdown(3 * 86_400 + 5)).toBe("3 days");
  });
  it("is over at zero", () => {
    expect(countdown(0)).toBeNull();
    expect(countdown(-10)).toBeNull();
  });
});

describe("relativeTime", () => {
  const now = 1_800_000_000;
  it("picks the largest unit that fits", () => {
    expect(relativeTime(now, now)).toBe("just now");
    expect(relativeTime(now - 5 * 60, now)).toBe("5 minutes ago");
    expect(relativeTime(now + 3 * 3600, now)).toBe("in 3 hours");
    expect(relativeTime(now - 86_400, now)).toBe("yesterday");
    expect(relativeTime(now + 10 * 86_400, now)).toBe("in 10 days");
    expect(relativeTime(now + 95 * 86_400, now)).toBe("in 3 months");
    expect(relativeTime(now - 400 * 86_400, now)).toBe("last year");
  });
});

describe("days and dates", () => {
  it("says how many days are left, or how long ago it expired", () => {
    expect(daysLeftText(12)).toBe("12 days left");
    expect(daysLeftText(1)).toBe("1 day left");
    expect(daysLeftText(0)).toBe("Expires today");
    expect(daysLeftText(-1)).toBe("Expired yesterday");
    expect(daysLeftText(-4)).toBe("Expired 4 days ago");
    expect(daysLeftText(null)).toBe("No end date");
  });
  it("pluralises and groups thousands", () => {
    expect(plural(1, "row")).toBe("1 row");
    expect(plural(10000, "row")).toBe("10,000 rows");
  });
  it("writes ISO 8601 UTC for exports", () => {
    expect(isoUtc(0)).toBe("1970-01-01T00:00:00Z");
    expect(isoUtc(1_800_000_000)).toBe("2027-01-15T08:00:00Z");
  });
});
