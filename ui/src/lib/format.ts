// Pure formatting helpers. Time is always passed in (`now`), never read here.

export function relativeTime(ms: number, now: number): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return futureTime(ms, now);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} d ago`;
  return shortDate(ms);
}

function futureTime(ms: number, now: number): string {
  const m = Math.round((ms - now) / 60000);
  if (m < 60) return `in ${Math.max(m, 1)} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.round(h / 24)} d`;
}

export function shortDate(ms: number): string {
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "2024-05-01" (local) for a date input. */
export function isoDay(ms: number): string {
  const d = new Date(ms);
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${mm}-${dd}`;
}

/** End of the given local day in ms, from a date input's "YYYY-MM-DD". */
export function endOfDay(iso: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59).getTime();
}

/** Digits in groups of five ("12345 67890 …"); anything else is returned unchanged. */
export function groupDigits(code: string): string[] {
  const digits = code.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits) || digits.length % 5 !== 0) return [code];
  const out: string[] = [];
  for (let i = 0; i < digits.length; i += 5) out.push(digits.slice(i, i + 5));
  return out;
}

/** `vault/name` (or `team/vault/name`, or a `hush://` reference) → `{ vault, name }`. */
export function parseAddress(address: string): { vault: string; name: string } {
  const parts = address.replace(/^hush:\/\//, '').split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1] ?? address;
  const vault = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  return { vault, name };
}

export function secretKey(a: { team: string; vault: string; name: string }): string {
  return `${a.team}\u0000${a.vault}\u0000${a.name}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
