import { assert, count, hasText, hidden, test, until, visible } from '../harness';

test('sync indicator: online, offline, syncing, local, misbehaving, refused', async (t) => {
  const page = await t.open();
  const ind = page.getByTestId('sync-indicator');
  await hasText(ind, 'Synced 2 min ago');
  await hasText(ind, '1 conflict');

  await t.fake("fake.setSync({ state: 'offline', outbox: 2 })");
  await hasText(ind, 'Offline · 2 queued');
  await t.shot('sync-offline');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await visible(page.getByText('Offline — saved locally'));

  await t.fake("fake.setSync({ state: 'syncing' })");
  await hasText(ind, 'Syncing…');
  await t.fake("fake.setSync({ state: 'local' })");
  await hasText(ind, 'Local only');
  await t.fake("fake.setSync({ state: 'misbehaving', alert: 'The relay served a log that forks from the one you saw before (seq 812).' })");
  await hasText(ind, 'Relay misbehaving');
  await visible(page.getByRole('alert').filter({ hasText: 'forks from the one you saw before' }));
  await t.shot('sync-misbehaving');

  // The relay answers but refuses this device (removed from the team): not "offline".
  await t.fake("fake.setSync({ state: 'refused', alert: 'Acme: the relay refused this device (this device is not an active member of the team); it may have been removed from the team' })");
  await hasText(ind, 'Sync refused');
  await visible(page.getByRole('alert').filter({ hasText: 'The relay refused to sync.' }).filter({ hasText: 'Acme: the relay refused this device' }).filter({ hasText: 'removed from the team. What is already' }));
  await t.shot('sync-refused');

  await t.fake("fake.setSync({ state: 'online', outbox: 0 })");
  await hidden(page.getByRole('alert').filter({ hasText: 'The relay refused to sync.' }));
  await page.getByRole('button', { name: 'Sync now' }).click();
  await hasText(ind, 'Synced just now');
  assert((await t.calls()).some((c) => c.cmd === 'sync_now'), 'sync_now called');
});

test('conflict: resolve by picking a version', async (t) => {
  const page = await t.open();
  await page.getByRole('button', { name: '1 conflict' }).click();
  await hasText(page.getByTestId('detail-name'), 'SENTRY_DSN');
  await page.getByRole('button', { name: 'Resolve…' }).click();
  const dlg = page.getByRole('dialog', { name: 'Resolve conflict' });
  await visible(dlg);
  await dlg.getByRole('button', { name: 'Reveal version 3' }).click();
  await hasText(dlg, 'https://def456@o1.ingest.sentry.io/42');
  await dlg.getByLabel(/Version 3/).check();
  await t.shot('conflict-resolve');
  await dlg.getByRole('button', { name: 'Keep version 3' }).click();
  await hidden(dlg);
  await hidden(page.getByRole('button', { name: '1 conflict' }));
  await until(async () => !(await page.getByTestId('secret-row').filter({ hasText: 'SENTRY_DSN' }).innerText()).includes('Conflict'), 'conflict badge gone');
  const call = (await t.calls()).find((c) => c.cmd === 'resolve_conflict');
  assert(call?.args.keep === 3 && call.args.name === 'SENTRY_DSN', `resolve args ${JSON.stringify(call)}`);
  assert(!(await page.content()).includes('def456'), 'revealed versions dropped after resolving');
});

test('hush://changed reloads lists live', async (t) => {
  const page = await t.open();
  await count(page.getByTestId('secret-row'), 12);
  await t.fake("fake.teammateSets('acme', 'production', 'POSTHOG_KEY', 'phc_live_0000111122223333')");
  await count(page.getByTestId('secret-row'), 13);
  await visible(page.getByTestId('secret-row').filter({ hasText: 'POSTHOG_KEY' }));
  await hasText(page.getByRole('button', { name: /^production/ }), '7');
  await t.fake('fake.clipboardCleared()');
  await visible(page.getByText('Clipboard cleared'));
});
