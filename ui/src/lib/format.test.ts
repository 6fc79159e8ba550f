import { describe, expect, it } from 'vitest';
import { formatDay, parseDay, sentence } from './format';

describe('parseDay', () => {
  it('empty means no expiry', () => {
    expect(parseDay('')).toEqual({ day: '' });
    expect(parseDay('   ')).toEqual({ day: '' });
  });

  it('normalises a valid date', () => {
    expect(parseDay('2027-01-31')).toEqual({ day: '2027-01-31' });
    expect(parseDay(' 2027-1-5 ')).toEqual({ day: '2027-01-05' });
    expect(parseDay('2028-02-29')).toEqual({ day: '2028-02-29' });
  });

  it('refuses what is not a date, with a message', () => {
    for (const bad of ['31/01/2027', '2027-13-01', '2027-02-29', '2027-04-31', 'tomorrow', '1969-12-31']) {
      const r = parseDay(bad);
      expect('error' in r && r.error.length > 0, bad).toBe(true);
    }
  });
});

describe('formatDay', () => {
  it('formats the calendar day itself (no time-zone shift) and passes anything else through', () => {
    expect(formatDay('2027-01-31')).toContain('31');
    expect(formatDay('2027-01-31')).toContain('2027');
    expect(formatDay('soon')).toBe('soon');
  });
});

describe('sentence', () => {
  it('ends a message with a full stop once', () => {
    expect(sentence('it may have been removed from the team')).toBe('it may have been removed from the team.');
    expect(sentence('rate limited; try again shortly. ')).toBe('rate limited; try again shortly.');
    expect(sentence('Really?')).toBe('Really?');
    expect(sentence('')).toBe('');
  });
});
