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

/**
 * Checks a typed expiry date. Empty means "no expiry". Returns the normalised "YYYY-MM-DD", or
 * an error message for a person.
 */
export function parseDay(input: string): { day: string } | { error: string } {
  const t = input.trim();
  if (t === '') return { day: '' };
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (!m) return { error: 'Use YYYY-MM-DD, e.g. 2027-01-31, or leave it empty for no expiry.' };
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return { error: `${t} is not a date.` };
  }
  return { day: `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}` };
}

/** "2027-01-31" → "Jan 31, 2027" (in the locale), without shifting the day across time zones. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
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

/** `text` as a sentence: it ends with a full stop unless it already ends with punctuation. */
export function sentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const ACTIONS: Record<string, string> = {
  created_team: 'created the team',
  created_vault: 'created vault',
  set: 'set',
  rotated: 'rotated',
  deleted: 'deleted',
  invited: 'invited',
  admitted: 'admitted',
  removed: 'removed',
  granted: 'granted',
  revoked: 'revoked',
  created_service: 'created service identity',
  leaked: 'reported a leak of',
  used: 'used',
};

const USES: Record<string, string> = {
  get: 'read (hush get)',
  run: 'injected into a program (hush run)',
  inject: 'rendered into a file (hush inject)',
  reveal: 'revealed on screen',
  copy: 'copied',
  history: 'revealed an old version of',
};

/** An activity entry's verb for people ("used" with its detail becomes "copied", ...). */
export function activityVerb(action: string, detail?: string | null): string {
  if (action === 'used' && detail) return USES[detail] ?? `used (${detail})`;
  return ACTIONS[action] ?? action.replace(/_/g, ' ');
}
