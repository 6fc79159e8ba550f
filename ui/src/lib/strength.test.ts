import { describe, expect, it } from 'vitest';
import { estimateStrength, MIN_MASTER_BITS } from './strength';

describe('estimateStrength', () => {
  it('rates the empty string as very weak with zero bits', () => {
    expect(estimateStrength('')).toMatchObject({ bits: 0, score: 0, label: 'Very weak' });
  });

  it('sees through common passwords, leetspeak and appended digits', () => {
    for (const pw of ['password', 'Password1', 'p@ssw0rd', 'qwerty123', 'letmein!']) {
      expect(estimateStrength(pw).score, pw).toBeLessThanOrEqual(1);
    }
  });

  it('charges repeats and sequences about one bit per character', () => {
    expect(estimateStrength('aaaaaaaaaaaaaaaa').bits).toBeLessThan(28);
    expect(estimateStrength('abcdefghijklmnop').bits).toBeLessThan(28);
    expect(estimateStrength('1234567890').bits).toBeLessThan(20);
    expect(estimateStrength('qwertyuiop').score).toBe(0);
  });

  it('credits passphrases per word', () => {
    const s = estimateStrength('orbit lantern cobalt meadow quiver');
    expect(s.bits).toBe(55);
    expect(s.bits).toBeGreaterThanOrEqual(MIN_MASTER_BITS);
    expect(estimateStrength('cat cat cat cat').bits).toBeLessThan(28);
  });

  it('rates long random strings as very strong', () => {
    expect(estimateStrength('x7#Kp2!qZ9@mW4$vR8&t').score).toBe(4);
  });

  it('grows with length for random-looking input', () => {
    const a = estimateStrength('Xk9v').bits;
    const b = estimateStrength('Xk9vT').bits;
    const c = estimateStrength('Xk9vTq2m').bits;
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
  });

  it('always gives a hint', () => {
    expect(estimateStrength('short').hint).toMatch(/12 characters/);
    expect(estimateStrength('x7#Kp2!qZ9@mW4$vR8&t').hint).toMatch(/Good/);
  });
});
