import { describe, expect, it } from 'vitest';
import { ALERTS_REFRESH_MS, alertDetail, alertKey, alertsDue, describeAlert, sortAlerts } from './alerts';
import type { AlertInfo, SyncStatus } from './types';

const alert = (kind: string, sinceMs?: number, subject = 'ken'): AlertInfo => ({
  kind,
  team: 'acme',
  subject,
  detail: `${subject}: ${kind}`,
  ...(sinceMs === undefined ? {} : { sinceMs }),
});

describe('describeAlert', () => {
  it('titles each kind the core sends, with where to act', () => {
    expect(describeAlert(alert('service_new_ip'))).toEqual({
      title: 'Service used from a new address',
      tone: 'danger',
      action: { page: 'members', label: 'Go to Members' },
    });
    expect(describeAlert(alert('usage_spike'))).toMatchObject({ title: 'Unusual number of reads', action: { page: 'activity' } });
    expect(describeAlert(alert('device_unseen'))).toMatchObject({
      title: 'Device not seen for 30 days — consider removing it',
      tone: 'warning',
      action: { page: 'members' },
    });
    expect(describeAlert(alert('relay'))).toEqual({ title: 'Relay misbehaving', tone: 'danger' });
    expect(describeAlert(alert('rejected_event'))).toMatchObject({ tone: 'danger', action: { page: 'activity' } });
    expect(describeAlert(alert('rejected_event')).title).toContain('no effect');
  });

  it("adds the next step in the app's words, never as a CLI command", () => {
    const a: AlertInfo = { ...alert('service_new_ip', 1, 'ci'), detail: 'ci was used from a new address', hint: 'revoke_service' };
    expect(alertDetail(a)).toBe('ci was used from a new address. Revoke it from the Members page.');
    expect(alertDetail(a)).not.toMatch(/hush /);
    expect(alertDetail(alert('relay'))).toBe('ken: relay');
  });

  it('still reads well for a kind added to the core later', () => {
    expect(describeAlert(alert('token_reused_abroad'))).toEqual({ title: 'Token reused abroad', tone: 'warning' });
    expect(describeAlert(alert(''))).toEqual({ title: 'Security alert', tone: 'warning' });
  });
});

describe('sortAlerts', () => {
  it('puts the most urgent kinds first, then the newest', () => {
    const sorted = sortAlerts([
      alert('device_unseen', 10, 'old-laptop'),
      alert('usage_spike', 50, 'ken'),
      alert('future_kind', 60),
      alert('usage_spike', 70, 'grace'),
      alert('service_new_ip', 40, 'ci'),
      alert('relay'),
    ]);
    expect(sorted.map((a) => `${a.kind}:${a.subject}`)).toEqual([
      'relay:ken',
      'service_new_ip:ci',
      'usage_spike:grace',
      'usage_spike:ken',
      'future_kind:ken',
      'device_unseen:old-laptop',
    ]);
  });

  it('does not reorder its input', () => {
    const input = [alert('device_unseen', 1), alert('relay')];
    sortAlerts(input);
    expect(input.map((a) => a.kind)).toEqual(['device_unseen', 'relay']);
  });
});

describe('alertKey', () => {
  it('tells apart two alerts about the same subject', () => {
    const a = alert('service_new_ip', 1, 'ci');
    const b = { ...a, detail: 'another address', sinceMs: 2 };
    expect(alertKey(a)).not.toBe(alertKey(b));
    expect(alertKey(a)).toBe(alertKey({ ...a }));
  });
});

describe('alertsDue', () => {
  const status = (patch: Partial<SyncStatus> = {}): SyncStatus => ({ state: 'online', lastSyncMs: 1000, conflicts: 0, outbox: 0, teams: [], ...patch });
  const now = 10 * ALERTS_REFRESH_MS;

  it('reloads when the state or the relay alert changes', () => {
    expect(alertsDue(status({ state: 'offline' }), status(), now, now)).toBe(true);
    expect(alertsDue(status(), status({ state: 'misbehaving', alert: 'rollback' }), now, now)).toBe(true);
    expect(alertsDue(status({ state: 'misbehaving', alert: 'a' }), status({ state: 'misbehaving', alert: 'b' }), now, now)).toBe(true);
  });

  it('not while a sync runs', () => {
    expect(alertsDue(status(), status({ state: 'syncing' }), 0, now)).toBe(false);
  });

  it('after a routine sync at most once per ALERTS_REFRESH_MS', () => {
    const next = status({ lastSyncMs: 2000 });
    expect(alertsDue(status(), next, now - ALERTS_REFRESH_MS + 1, now)).toBe(false);
    expect(alertsDue(status(), next, now - ALERTS_REFRESH_MS, now)).toBe(true);
    expect(alertsDue(status(), status(), 0, now)).toBe(false);
  });
});
