// A small password-entropy estimator (no dictionary download, no dependencies).
//
// It charges each character log2(pool) bits, where the pool is the union of character
// classes used, but only ~1 bit for a character that continues a repeat ("aaaa") or a
// sequence ("abcd", "4321", keyboard rows), and replaces common passwords and words by the
// cost of picking them from a short list. Passphrases of several words are credited per
// word. It is deliberately conservative: an underestimate only asks for a longer password.

const COMMON = [
  'password', 'passw0rd', 'qwerty', 'letmein', 'welcome', 'admin', 'login', 'iloveyou',
  'monkey', 'dragon', 'master', 'secret', 'hush', 'sunshine', 'princess', 'football',
  'baseball', 'shadow', 'superman', 'trustno1', 'hello', 'freedom', 'whatever', 'starwars',
  'abc123', '123456', '12345678', '111111', 'changeme', 'default', 'root', 'test', 'summer',
  'winter', 'spring', 'autumn', 'love', 'god', 'money', 'team', 'company', 'vault',
];

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1234567890'];

/** Bits for one word drawn from a list of common words (~2^11 words). */
const WORD_BITS = 11;
/** Bits for one of the `COMMON` passwords (plus a little for capitalisation / leetspeak). */
const COMMON_BITS = 8;

export type StrengthScore = 0 | 1 | 2 | 3 | 4;

export interface Strength {
  bits: number;
  score: StrengthScore;
  label: 'Very weak' | 'Weak' | 'Fair' | 'Strong' | 'Very strong';
  hint: string;
}

export const LABELS: Strength['label'][] = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

/** The minimum estimate accepted for a master password. */
export const MIN_MASTER_BITS = 50;

function poolSize(pw: string): number {
  let pool = 0;
  if (/[a-z]/.test(pw)) pool += 26;
  if (/[A-Z]/.test(pw)) pool += 26;
  if (/[0-9]/.test(pw)) pool += 10;
  if (/[ !-/:-@[-`{-~]/.test(pw)) pool += 33;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(pw)) pool += 100;
  return Math.max(pool, 1);
}

function isSequential(a: string, b: string): boolean {
  const d = b.charCodeAt(0) - a.charCodeAt(0);
  if (Math.abs(d) === 1 && /[a-z0-9]/i.test(a) && /[a-z0-9]/i.test(b)) return true;
  const pair = (a + b).toLowerCase();
  const rev = (b + a).toLowerCase();
  return KEYBOARD_ROWS.some((row) => row.includes(pair) || row.includes(rev));
}

/** Per-character estimate with repeats and sequences counted as ~1 bit. */
function characterBits(pw: string): number {
  const chars = Array.from(pw);
  const perChar = Math.log2(poolSize(pw));
  let bits = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    const prev = i > 0 ? (chars[i - 1] ?? '') : '';
    if (i > 0 && (c === prev || isSequential(prev, c))) bits += 1;
    else bits += perChar;
  }
  return bits;
}

function unleet(s: string): string {
  return s
    .toLowerCase()
    .replace(/0/g, 'o')
    .replace(/[1!|]/g, 'i')
    .replace(/3/g, 'e')
    .replace(/[4@]/g, 'a')
    .replace(/\$/g, 's')
    .replace(/5/g, 's')
    .replace(/7/g, 't');
}

/** Replaces common passwords found inside `pw` by their small list cost. */
function dictionaryBits(pw: string): number {
  const lower = pw.toLowerCase();
  const plain = unleet(pw);
  let rest = pw;
  let found = 0;
  for (const w of [...COMMON].sort((a, b) => b.length - a.length)) {
    const idx = lower.includes(w) ? lower.indexOf(w) : plain.indexOf(unleet(w));
    if (idx >= 0 && w.length >= 3) {
      rest = rest.slice(0, idx) + rest.slice(idx + w.length);
      found += 1;
      // The longest common word found is enough to discount; stop there.
      break;
    }
  }
  if (found === 0) return characterBits(pw);
  return found * COMMON_BITS + (rest.length > 0 ? characterBits(rest) : 0);
}

/** Passphrases: several lowercase words separated by spaces or dashes. */
function passphraseBits(pw: string): number | null {
  const words = pw.trim().split(/[\s\-_.]+/).filter((w) => w.length > 0);
  if (words.length < 3) return null;
  if (!words.every((w) => /^[a-z]+$/i.test(w))) return null;
  const unique = new Set(words.map((w) => w.toLowerCase())).size;
  return unique * WORD_BITS;
}

export function estimateStrength(pw: string): Strength {
  if (pw.length === 0) return { bits: 0, score: 0, label: 'Very weak', hint: 'Enter a password.' };
  let bits = Math.min(characterBits(pw), dictionaryBits(pw));
  const phrase = passphraseBits(pw);
  if (phrase !== null) bits = Math.min(bits, Math.max(phrase, 0));
  bits = Math.round(Math.max(bits, 0));
  const score: StrengthScore = bits < 28 ? 0 : bits < 40 ? 1 : bits < MIN_MASTER_BITS ? 2 : bits < 80 ? 3 : 4;
  let hint: string;
  if (score >= 3) hint = 'Good. Store it nowhere but your head or a paper backup.';
  else if (pw.length < 12) hint = 'Use at least 12 characters — a few random words work well.';
  else if (phrase === null && /^[a-z]+$/i.test(pw)) hint = 'Add words, digits or symbols; avoid single dictionary words.';
  else hint = 'Add another random word or a few characters.';
  return { bits, score, label: LABELS[score] ?? 'Very weak', hint };
}
