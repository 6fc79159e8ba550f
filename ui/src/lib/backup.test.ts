import { describe, expect, it } from 'vitest';
import { MIN_BACKUP_PASSPHRASE, newBackupProblem, restoreProblem } from './backup';

describe('newBackupProblem', () => {
  const good = 'a long backup passphrase';

  it('asks for a path first, then a long enough passphrase, then the same one twice', () => {
    expect(newBackupProblem('  ', good, good)?.field).toBe('path');
    expect(newBackupProblem('~/b.age', 'x'.repeat(MIN_BACKUP_PASSPHRASE - 1), 'x'.repeat(MIN_BACKUP_PASSPHRASE - 1))).toMatchObject({
      field: 'passphrase',
      message: expect.stringContaining(`at least ${MIN_BACKUP_PASSPHRASE} characters`) as unknown,
    });
    expect(newBackupProblem('~/b.age', good, `${good}!`)).toEqual({ field: 'confirm', message: 'The passphrases do not match.' });
    expect(newBackupProblem('~/b.age', good, good)).toBeNull();
  });

  it('counts characters, not UTF-16 units', () => {
    const emoji = '🔑'.repeat(MIN_BACKUP_PASSPHRASE - 1);
    expect(emoji.length).toBeGreaterThanOrEqual(MIN_BACKUP_PASSPHRASE);
    expect(newBackupProblem('~/b.age', emoji, emoji)?.field).toBe('passphrase');
  });
});

describe('restoreProblem', () => {
  it('needs a file and a passphrase, and points at the empty one', () => {
    expect(restoreProblem(' ', 'pass', false, false)).toEqual({ field: 'path', message: 'Enter the backup file and its passphrase.' });
    expect(restoreProblem('', '', false, false)?.field).toBe('path');
    expect(restoreProblem('~/b.age', '', false, false)?.field).toBe('passphrase');
  });

  it('over an existing store, only with "Replace the current store" ticked', () => {
    expect(restoreProblem('~/b.age', 'pass', true, false)).toMatchObject({
      field: 'replace',
      message: expect.stringContaining('Replace the current store') as unknown,
    });
    expect(restoreProblem('~/b.age', 'pass', true, true)).toBeNull();
  });

  it('on first run there is no store to replace: nothing to tick', () => {
    expect(restoreProblem('~/b.age', 'pass', false, false)).toBeNull();
  });

  it('leaves the passphrase itself to the shell (any length opens an old backup)', () => {
    expect(restoreProblem('~/b.age', 'short', false, false)).toBeNull();
  });
});
