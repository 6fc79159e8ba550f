import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { api, errorTitle, handlingFor, HushError, toHushError } from './api';
import { hintText } from './hints';
import type { Hint } from './types';

afterEach(() => clearMocks());

describe('toHushError', () => {
  it('keeps code and message of a core error', () => {
    const e = toHushError({ code: 'wrong_password', message: 'Nope.' });
    expect(e).toBeInstanceOf(HushError);
    expect(e.code).toBe('wrong_password');
    expect(e.message).toBe('Nope.');
  });

  it("words the core's hint for people without a terminal, never as a command", () => {
    const e = toHushError({ code: 'not_found', message: 'vault `prod` not found', hint: 'vaults' });
    expect(e.hint).toBe('vaults');
    expect(e.message).toBe("vault `prod` not found. Check the name against the team's vaults.");
    const all: Hint[] = [
      'init',
      'unlock',
      'sync',
      'members',
      'select_team',
      'vaults',
      'witnesses',
      'create_secret',
      'revoke_service',
      'remove_member',
    ];
    for (const h of all) expect(hintText(h)).not.toMatch(/hush |`/);
    const odd = toHushError({ code: 'not_found', message: 'm', hint: 'from_the_future' });
    expect([odd.hint, odd.message]).toEqual([undefined, 'm']);
  });

  it('fills in a message when the core sent none', () => {
    expect(toHushError({ code: 'offline' }).message).toMatch(/unreachable/);
  });

  it('maps strings, Errors and junk to "internal"', () => {
    expect(toHushError('boom')).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toHushError(new TypeError('bad'))).toMatchObject({ code: 'internal', message: 'bad' });
    expect(toHushError(42).code).toBe('internal');
    expect(toHushError(null).code).toBe('internal');
    expect(toHushError({ message: 'no code' }).code).toBe('internal');
  });
});

describe('handlingFor', () => {
  it('branches on code, never on message', () => {
    expect(handlingFor('wrong_password')).toBe('retry-password');
    expect(handlingFor('locked')).toBe('relock');
    expect(handlingFor('offline')).toBe('offline');
    expect(handlingFor('forbidden')).toBe('denied');
    expect(handlingFor('not_found')).toBe('missing');
    expect(handlingFor('invalid')).toBe('fix-input');
    expect(handlingFor('integrity')).toBe('alarm');
    expect(handlingFor('relay')).toBe('alarm');
    expect(handlingFor('something_new')).toBe('generic');
    expect(errorTitle('wrong_password')).toBe('Wrong password');
    expect(errorTitle('clipboard')).toBe('Could not copy');
    expect(errorTitle('something_new')).toBe('Something went wrong');
  });
});

describe('api wrappers', () => {
  it('reject with a HushError carrying the core code', async () => {
    mockIPC(() => {
      throw { code: 'wrong_password', message: 'That password does not unlock this device.' };
    });
    const err = await api.unlock('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HushError);
    expect((err as HushError).code).toBe('wrong_password');
  });

  it('pass the contract argument names and omit absent optionals', async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === 'copy_secret' ? { clearAfterSecs: 30 } : null;
    });
    const a = { team: 'acme', vault: 'prod', name: 'K' };
    await api.copySecret(a, 'env');
    await api.revealSecret(a);
    await api.revealSecret(a, 3);
    await api.invite('acme', 'member', 24);
    await api.setSecret({ ...a, value: 'v', rotateEveryDays: 30 });
    await api.setSecret({ ...a, value: 'v', expires: '' });
    await api.listVaults();
    await api.joinTeam('hush1abc');
    await api.joinTeam('hush1abc', 'Acme');
    await api.attention();
    await api.securityAlerts();
    await api.updateSettings({ clipboardClearSecs: 20, autoLockMins: 5 });
    expect(seen).toEqual([
      ['copy_secret', { ...a, format: 'env' }],
      ['reveal_secret', a],
      ['reveal_secret', { ...a, version: 3 }],
      ['invite', { team: 'acme', role: 'member', expiresHours: 24 }],
      ['set_secret', { ...a, value: 'v', rotateEveryDays: 30 }],
      ['set_secret', { ...a, value: 'v', expires: '' }],
      ['list_vaults', {}],
      ['join_team', { code: 'hush1abc' }],
      ['join_team', { code: 'hush1abc', label: 'Acme' }],
      ['attention', {}],
      ['security_alerts', {}],
      ['update_settings', { settings: { clipboardClearSecs: 20, autoLockMins: 5 } }],
    ]);
  });
});
