// Email addresses: what the wizard asks for and what the dashboard says about an account's mailbox.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmailAddress(text: string): boolean {
  return EMAIL.test(text.trim());
}

/** The domain of an email address ("contoso.com"), or null when there is none yet. */
export function emailDomain(address: string): string | null {
  const text = address.trim();
  if (!isEmailAddress(text)) return null;
  return text.slice(text.lastIndexOf("@") + 1).toLowerCase();
}

const PERSONAL_BRANDS: ReadonlySet<string> = new Set(["outlook", "hotmail", "live", "msn", "windowslive", "passport"]);

/**
 * Outlook.com, Hotmail, Live and MSN addresses are personal Microsoft accounts, not an organisation's: the brand and
 * a public suffix, nothing more (outlook.com, hotmail.co.uk, live.com.au), as Rust's handoff tells them apart.
 */
export function isPersonalDomain(domain: string): boolean {
  const labels = domain.trim().toLowerCase().split(".");
  const suffixOnly = labels.length === 2 || (labels.length === 3 && labels[1].length <= 3);
  return PERSONAL_BRANDS.has(labels[0]) && suffixOnly && labels.every((l) => l !== "");
}

/** The address is a personal Microsoft account's (Outlook.com, Hotmail, Live, MSN). */
export function isPersonalAddress(address: string): boolean {
  const domain = emailDomain(address);
  return domain !== null && isPersonalDomain(domain);
}
