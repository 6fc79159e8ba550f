// Security alerts (`security_alerts`, the alerts of `hush status`): how each kind reads, where a
// person goes to act on it, and when a sync calls for reloading them. Pure: time is passed in.
import { withHint } from './hints';
import type { AlertInfo, SyncStatus } from './types';

/** Where the app can take a person to act on an alert. */
export type AlertPage = 'members' | 'activity';

export interface AlertView {
  /** The kind, as a person reads it. */
  title: string;
  tone: 'danger' | 'warning';
  /** The page to act on it (and the button's label), when there is one. */
  action?: { page: AlertPage; label: string };
}

const KINDS: Record<string, AlertView> = {
  relay: { title: 'Relay misbehaving', tone: 'danger' },
  service_new_ip: { title: 'Service used from a new address', tone: 'danger', action: { page: 'members', label: 'Go to Members' } },
  usage_spike: { title: 'Unusual number of reads', tone: 'danger', action: { page: 'activity', label: 'See activity' } },
  rejected_event: {
    title: 'A teammate signed a change that breaks the rules (it had no effect)',
    tone: 'danger',
    action: { page: 'activity', label: 'See activity' },
  },
  damaged: { title: 'Something a teammate sent could not be opened', tone: 'warning', action: { page: 'activity', label: 'See activity' } },
  device_unseen: {
    title: 'Device not seen for 30 days — consider removing it',
    tone: 'warning',
    action: { page: 'members', label: 'Go to Members' },
  },
};

/** Most urgent first: a lying relay or a teammate's rule-breaking event, a token used elsewhere, a reading spike, then a quiet device. */
const RANK: Record<string, number> = { relay: 0, rejected_event: 0, service_new_ip: 1, usage_spike: 2, damaged: 3, device_unseen: 4 };

/** How an alert reads; a kind this version does not know still gets a readable title. */
export function describeAlert(a: AlertInfo): AlertView {
  const known = KINDS[a.kind];
  if (known) return known;
  const words = a.kind.replace(/_/g, ' ').trim();
  return { title: words === '' ? 'Security alert' : words.charAt(0).toUpperCase() + words.slice(1), tone: 'warning' };
}

/** Most urgent kind first, then newest first; unknown kinds between the reading spike and the quiet device. */
export function sortAlerts(alerts: AlertInfo[]): AlertInfo[] {
  const rank = (a: AlertInfo): number => RANK[a.kind] ?? 3;
  return alerts
    .map((a, i) => ({ a, i }))
    .sort((x, y) => rank(x.a) - rank(y.a) || (y.a.sinceMs ?? 0) - (x.a.sinceMs ?? 0) || x.i - y.i)
    .map((x) => x.a);
}

/** The core's line on an alert, with its next step in the app's words (never a CLI command). */
export function alertDetail(a: AlertInfo): string {
  return withHint(a.detail, a.hint);
}

/** A stable key for a keyed `{#each}` (the core sends no id). */
export function alertKey(a: AlertInfo): string {
  return [a.kind, a.team, a.subject, a.sinceMs ?? '', a.detail].join('\u0000');
}

/** At most this often on `hush://sync` alone (each load asks the relay for its address table). */
export const ALERTS_REFRESH_MS = 60_000;

/**
 * Whether a new sync status calls for reloading the alerts: the state or its alert changed (a
 * relay started or stopped misbehaving, a sync finished), or a sync completed and the last
 * load is at least `ALERTS_REFRESH_MS` old (the relay's address table changes without any log
 * event). Never while a sync runs: it holds the session, and its end is a state change.
 */
export function alertsDue(prev: SyncStatus, next: SyncStatus, loadedAtMs: number, nowMs: number): boolean {
  if (next.state === 'syncing') return false;
  if (prev.state !== next.state || (prev.alert ?? null) !== (next.alert ?? null)) return true;
  return (prev.lastSyncMs ?? null) !== (next.lastSyncMs ?? null) && nowMs - loadedAtMs >= ALERTS_REFRESH_MS;
}
