// The app's words for the core's hints (what a person can do next). The core never words them as
// a command: people using the app may have no terminal, so nothing here names a CLI command.
import type { Hint } from './types';

export function hintText(hint: Hint): string {
  switch (hint) {
    case 'init':
      return 'Create your identity first.';
    case 'unlock':
      return 'Unlock Hush with your master password.';
    case 'sync':
      return 'Sync with the relay, then try again.';
    case 'members':
      return "Check the name against the team's member list.";
    case 'select_team':
      return 'Choose a team first.';
    case 'vaults':
      return "Check the name against the team's vaults.";
    case 'witnesses':
      return "Check the team's witness list.";
    case 'create_secret':
      return 'Add it as a new secret instead.';
    case 'revoke_service':
      return 'Revoke it from the Members page.';
    case 'remove_member':
      return 'Remove it from the Members page.';
  }
}

const HINTS: readonly string[] = [
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
] satisfies Hint[];

/** A hint this UI knows (a newer shell may send others; they are left out). */
export function isHint(v: unknown): v is Hint {
  return typeof v === 'string' && HINTS.includes(v);
}

/** A core message followed by the hint in the app's words. */
export function withHint(message: string, hint: Hint | undefined | null): string {
  if (hint === undefined || hint === null || !isHint(hint)) return message;
  const end = /[.!?]$/.test(message) ? '' : '.';
  return `${message}${end} ${hintText(hint)}`;
}
